"""Turn coach turns into Discord-sized messages (no Discord imports, so it is tested directly)."""

from __future__ import annotations

from bot.services.coaching import CoachTurn

MESSAGE_LIMIT = 2000


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text into chunks of at most `limit` characters at paragraph, line or word breaks."""
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 4:
                break
        if cut <= 0:
            cut = limit  # one unbroken run of characters: cut it hard
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks or [""]


def header(turn: CoachTurn) -> str:
    """A small line naming the framework and the step, in Discord's subtext markdown."""
    if turn.done:
        return f"-# {turn.framework_title} · {'finished' if turn.status == 'done' else 'ended'}"
    if turn.status == "paused":
        return f"-# {turn.framework_title} · paused"
    return f"-# {turn.framework_title} · {turn.stage_title} · step {turn.step} of {turn.steps}"


def turn_messages(turn: CoachTurn, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The messages that carry one coach turn, header first, each within Discord's limit."""
    return split_message(f"{header(turn)}\n{turn.text}", limit)
