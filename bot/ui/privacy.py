"""Privacy replies in words: what is kept, who sees it, what was erased, the export file."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from bot.errors import UserFacingError
from bot.services.privacy import Erasure, Sharing, Summary

# Table -> (one, many, what it holds). Tables added later fall back to their own name.
KINDS: dict[str, tuple[str, str, str]] = {
    "members": (
        "member record",
        "member records",
        "one per server where you used me, and one for DMs: your name, time zone, DM channel "
        "and sharing choices",
    ),
    "coaching_sessions": (
        "coaching conversation",
        "coaching conversations",
        "framework, topic and how far it got",
    ),
    "turns": ("message", "messages", "what you and the coach said in those conversations"),
    "goals": ("goal", "goals", "in your own words"),
    "commitments": ("commitment", "commitments", "steps you chose, due dates and how they went"),
    "stress_scores": ("weekly stress score", "weekly stress scores", "0 to 10, one per week"),
    "member_schedules": (
        "debrief schedule",
        "debrief schedules",
        "the day and time of your weekly debrief DM",
    ),
    "outbox": (
        "scheduled message",
        "scheduled messages",
        "debriefs, nudges and check-ins queued for you or already sent",
    ),
    "safety_events": (
        "safety note",
        "safety notes",
        "when a message raised a safety concern and of which kind, never your words",
    ),
}
MAX_SERVERS_LISTED = 8
MAX_SERVER_NAME = 40
MESSAGE_LIMIT = 2000
DMS_CLOSED_EXPORT = (
    "I couldn't send you a direct message: your DMs are closed to this server, so your export "
    "was not sent and nothing was changed. To open them, click the server name, then Privacy "
    "Settings, and turn on Direct Messages; then run /privacy export again."
)


def _words(table: str) -> tuple[str, str, str]:
    found = KINDS.get(table)
    if found is not None:
        return found
    name = table.replace("_", " ")
    return f"record in {name}", f"records in {name}", ""


def count_phrase(table: str, n: int) -> str:
    """'3 coaching conversations', '1 message'."""
    one, many, _ = _words(table)
    return f"{n} {one if n == 1 else many}"


def join_words(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def ordered(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Known kinds in a reader's order, then any others by name."""
    known = [(t, counts[t]) for t in KINDS if counts.get(t)]
    others = sorted((t, n) for t, n in counts.items() if t not in KINDS and n)
    return known + others


def references_phrase(references: Mapping[str, int]) -> str:
    """References to you inside records that hold other people's data."""
    parts = [f"{n} in {t.replace('_', ' ')}" for t, n in sorted(references.items()) if n]
    total = sum(references.values())
    noun = "reference" if total == 1 else "references"
    return f"{total} {noun} to you in records that belong to others ({', '.join(parts)})"


def _sharing_line(sharing: Sharing, server: str) -> str:
    progress = "progress shared" if sharing.progress else "progress private"
    transcripts = "transcripts shared" if sharing.transcripts else "transcripts private"
    return f"• {server}: {progress}, {transcripts}"


def sharing_lines(
    sharing: list[Sharing], name_of: Callable[[int], str], limit: int = MAX_SERVERS_LISTED
) -> list[str]:
    """One line per server, at most `limit` of them."""
    lines = [_sharing_line(s, name_of(s.guild_id)[:MAX_SERVER_NAME]) for s in sharing[:limit]]
    if len(sharing) > limit:
        lines.append(f"…and {len(sharing) - limit} more servers.")
    return lines


def show_text(summary: Summary, name_of: Callable[[int], str]) -> str:
    """/privacy show: what is kept, who can see it, and the member's choices (one message)."""
    for limit in range(MAX_SERVERS_LISTED, 0, -1):
        text = _show_text(summary, name_of, limit)
        if len(text) <= MESSAGE_LIMIT:
            break
    return text


def _show_text(summary: Summary, name_of: Callable[[int], str], limit: int) -> str:
    lines = ["**What I keep about you** (in every server and in DMs together)"]
    if summary.total == 0:
        lines.append("Nothing at the moment.")
    for table, n in ordered(summary.counts):
        _, _, what = _words(table)
        lines.append(f"• {count_phrase(table, n)}" + (f": {what}" if what else ""))
    if summary.references:
        lines.append(f"• {references_phrase(summary.references)}")
    lines += [
        "",
        "**Who can see it**",
        "• You: all of it. /privacy export sends you a copy as a file.",
        "• A server's mentors: your structured progress there (stress scores, goals, "
        "commitments, conversations by framework) only while you share progress in that "
        "server, and your conversation transcripts only while you share transcripts there.",
        "• If a message of yours raises a safety concern, the server's mentors are always "
        "alerted: the alert names you and the time, never your words.",
        "",
        "**Your sharing choices**",
    ]
    if summary.sharing:
        lines += sharing_lines(summary.sharing, name_of, limit)
    else:
        lines.append("• No server yet: everything is private.")
    lines += [
        "",
        "Change them with /privacy share (in a server it changes that server; in DMs, every "
        "server). /privacy delete erases everything.",
    ]
    return "\n".join(lines)


def share_text(changed: list[Sharing], name_of: Callable[[int], str], *, in_dm: bool) -> str:
    """Confirm the sharing choices as they now stand."""
    if not changed:
        return (
            "You have no server records yet, so there was nothing to change and everything "
            "stays private. Run /privacy share inside a server to choose for that server."
        )
    if in_dm:
        lines = ["Saved for every server where you have a record. What mentors may see now:"]
    else:
        lines = ["Saved. What this server's mentors may see now:"]
    lines += sharing_lines(changed, name_of)
    lines.append(
        "Progress means stress scores, goals, commitments and conversations by framework; "
        "transcripts are what you and the coach said. Everything else stays private."
    )
    return "\n".join(lines)


def delete_prompt(summary: Summary) -> str:
    """Ask before erasing, saying what would go."""
    parts = [count_phrase(t, n) for t, n in ordered(summary.counts)]
    if summary.references:
        parts.append(references_phrase(summary.references))
    return (
        "This erases everything I keep about you, in every server and in DMs: "
        f"{join_words(parts)}. Scheduled messages to you are cancelled. It can't be undone; "
        "if you'd like a copy first, run /privacy export before you press the button."
    )


NOTHING_KEPT = "I keep nothing about you, so there is nothing to delete."
KEPT = "Nothing was deleted: your data stays as it was."
ERASING = "Erasing everything I keep about you… I'll tell you here when it's done."
ERASE_FAILED = (
    "Sorry, something went wrong on my side and nothing was erased. It has been logged; "
    "please run /privacy delete again shortly."
)
NOT_YOURS = (
    "That button belongs to someone else's request, so I did nothing. Run /privacy delete "
    "to manage your own data."
)


def erased_text(erasure: Erasure) -> str:
    """Say what an erasure removed, in words."""
    if erasure.total == 0:
        return "There was nothing left to erase: I keep nothing about you."
    parts = [count_phrase(t, n) for t, n in ordered(erasure.deleted)]
    if erasure.cleared:
        cleared = sum(erasure.cleared.values())
        parts.append(f"{cleared} {'reference' if cleared == 1 else 'references'} to you")
    return (
        f"Done. I erased {join_words(parts)}. Nothing about you is left in my records, and "
        "nothing more will be sent to you. Messages already in our DMs stay in Discord's own "
        "history. If you use me again, I start fresh."
    )


def export_file(data: dict[str, Any], limit: int, today: date) -> tuple[str, bytes]:
    """The export as a JSON file, compressed when it would not fit under Discord's limit."""
    raw = json.dumps(data, indent=2, ensure_ascii=False).encode()
    name = f"mentorbot-my-data-{today.isoformat()}.json"
    if len(raw) <= limit:
        return name, raw
    packed = gzip.compress(raw)
    if len(packed) <= limit:
        return f"{name}.gz", packed
    raise UserFacingError(
        f"Your data is larger than Discord lets me send in one file ({len(packed):,} bytes "
        "compressed), which is very unusual. Please tell a server administrator, who can "
        "ask the bot's operator for a copy."
    )
