"""What each outbox row becomes as a DM, decided when it is sent (things change meanwhile)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import CoachingSession, Commitment, OutboxMessage
from bot.domain.reminders import DEBRIEF, NUDGE, checkin_text
from bot.services.ports import Button, OutgoingDM

DEBRIEF_FRAMEWORK = "stress_debrief"


def debrief_buttons(debrief_id: int, *, full: bool = True) -> tuple[Button, ...]:
    """Start, and (on the weekly DM itself) Snooze and Skip."""
    start = Button(f"debrief:{debrief_id}:start", "Start debrief", "primary")
    if not full:
        return (start,)
    return (
        start,
        Button(f"debrief:{debrief_id}:snooze", "Snooze 1 hour"),
        Button(f"debrief:{debrief_id}:skip", "Skip this week"),
    )


def checkin_buttons(commitment_id: int) -> tuple[Button, ...]:
    """Done, Partly and Not yet for a commitment's check-in."""
    return (
        Button(f"checkin:{commitment_id}:done", "Done", "success"),
        Button(f"checkin:{commitment_id}:partly", "Partly", "primary"),
        Button(f"checkin:{commitment_id}:not_yet", "Not yet"),
    )


class Reminders:
    """Compose scheduled DMs from the outbox and the member's current state."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sm = sessionmaker

    async def compose(self, row: OutboxMessage) -> OutgoingDM | None:
        """The DM for a row, or None when it no longer makes sense to send it."""
        if row.kind == "debrief":
            return OutgoingDM(DEBRIEF, debrief_buttons(row.id))
        async with self._sm() as s:
            if row.kind == "nudge":
                return await self._nudge(s, row)
            if row.kind == "checkin":
                return await self._checkin(s, row)
        raise ValueError(f"unknown outbox kind {row.kind!r}")

    async def _nudge(self, s: AsyncSession, row: OutboxMessage) -> OutgoingDM | None:
        debrief = await s.get(OutboxMessage, int(row.payload["debrief_id"]))
        if debrief is None or debrief.answered_at is not None or debrief.sent_at is None:
            return None
        started = await s.execute(
            select(CoachingSession.id).where(
                CoachingSession.member_id == row.member_id,
                CoachingSession.framework_id == DEBRIEF_FRAMEWORK,
                CoachingSession.started_at >= debrief.sent_at,
            )
        )
        if started.first() is not None:
            return None
        return OutgoingDM(NUDGE, debrief_buttons(debrief.id, full=False))

    async def _checkin(self, s: AsyncSession, row: OutboxMessage) -> OutgoingDM | None:
        commitment = await s.get(Commitment, int(row.payload["commitment_id"]))
        if commitment is None or commitment.status != "open":
            return None
        return OutgoingDM(checkin_text(commitment.text), checkin_buttons(commitment.id))
