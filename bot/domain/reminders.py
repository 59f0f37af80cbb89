"""What the scheduled DMs say: every line is a question or gives the member's words back."""

from __future__ import annotations

from bot.domain.text import quote

DEBRIEF = (
    "-# Weekly stress debrief\n"
    "It's the time you chose for your weekly debrief: ten minutes to look back on your week. "
    "When would suit you to do it?"
)
NUDGE = (
    "-# Weekly stress debrief\n"
    "Your debrief from earlier is still here whenever you want it. "
    "What would make ten minutes for it easier this week?"
)
CHECKIN = "-# Commitment check-in\nYou planned to have this done by today: {step}. How did it go?"


def checkin_text(step: str) -> str:
    """The check-in question for a commitment, quoting the member's own words."""
    return CHECKIN.format(step=quote(step, 20))
