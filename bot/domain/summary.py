"""The closing summary: what the member said, in their own words, stage by stage."""

from __future__ import annotations

from datetime import date

from bot.domain.dates import format_due
from bot.domain.frameworks import CaptureKind, Framework, Stage
from bot.domain.reflect import option_labels
from bot.domain.state import CaptureValue, SessionState, Status
from bot.domain.text import join_labels, quote

DONE_HEADING = "Here is what you worked out today, in your own words:"
ENDED_HEADING = "Here is what you said before we stopped:"
EMPTY = "No answers were recorded this time, so there is nothing to summarise."


def _line(stage: Stage, value: CaptureValue, today: date) -> str | None:
    """One summary line for a stage, or None when the member gave nothing there."""
    kind = stage.capture.kind
    parts: list[str] = []
    if kind is CaptureKind.SCALE and value.score is not None:
        parts.append(f"{value.score}/10")
    elif kind is CaptureKind.CHOICE and value.choices:
        parts.append(join_labels(option_labels(stage.capture.options, value.choices)))
    elif value.text.strip():
        parts.append(quote(value.text, 24))
    said = value.text.strip()
    if kind is CaptureKind.SCALE and value.score is not None and said not in ("", str(value.score)):
        # A scale answer with words around the number keeps those words too.
        parts.append(quote(said, 16))
    parts.extend(quote(extra, 16) for extra in value.extras)
    if not parts:
        return None
    line = f"• {stage.label}: " + "; ".join(parts)
    if kind is CaptureKind.COMMITMENT and value.due is not None:
        line += f" (by {format_due(value.due, today)})"
    return line


def summarise(fw: Framework, state: SessionState, today: date) -> str:
    """Build the summary of a finished or ended conversation."""
    lines = [
        line
        for stage in fw.stages
        if (value := state.captures.get(stage.capture.key)) is not None
        and (line := _line(stage, value, today)) is not None
    ]
    if not lines:
        return EMPTY
    heading = ENDED_HEADING if state.status is Status.ENDED else DONE_HEADING
    return "\n".join([heading, *lines])
