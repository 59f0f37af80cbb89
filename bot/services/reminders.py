"""What each outbox row becomes as a DM, decided when it is sent (things change meanwhile)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import CoachingSession, Commitment, Member, OutboxMessage
from bot.db.uow import unit_of_work
from bot.domain.reminders import DEBRIEF, NUDGE, checkin_text
from bot.errors import UserFacingError
from bot.services import officehours_weekly
from bot.services.clock import Clock
from bot.services.coaching import MemberRef
from bot.services.ports import Button, OutgoingDM

DEBRIEF_FRAMEWORK = "stress_debrief"
CHECKIN_FRAMEWORK = "commitment_checkin"
SNOOZE = timedelta(hours=1)
SNOOZE_GRACE = timedelta(hours=2)
MAX_SNOOZES = 3


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
            if row.kind in officehours_weekly.KINDS:
                return await officehours_weekly.compose(s, row)
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


class ReminderActions:
    """What the buttons on scheduled DMs do: start, snooze or skip a debrief; check in."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock) -> None:
        self._sm = sessionmaker
        self._clock = clock

    async def _own_row(
        self, s: AsyncSession, row_id: int, user_id: int
    ) -> tuple[OutboxMessage, Member]:
        row = await s.get(OutboxMessage, row_id)
        member = await s.get(Member, row.member_id) if row is not None else None
        if row is None or member is None or member.user_id != user_id:
            raise UserFacingError("That reminder was not found.")
        return row, member

    async def answer_debrief(self, row_id: int, user_id: int) -> MemberRef:
        """Mark the weekly DM answered and say whose debrief to start."""
        async with unit_of_work(self._sm) as s:
            row, member = await self._own_row(s, row_id, user_id)
            row.answered_at = row.answered_at or self._clock.now()
            await outbox.mark_dms_open(s, member.id)
            return MemberRef(member.guild_id, member.user_id, member.display_name)

    async def snooze(self, row_id: int, user_id: int) -> datetime:
        """Send the weekly DM again in an hour (at most MAX_SNOOZES times a week)."""
        now = self._clock.now()
        async with unit_of_work(self._sm) as s:
            row, member = await self._own_row(s, row_id, user_id)
            base, _, count = row.occurrence_key.partition("+snooze")
            snoozes = int(count or 0) + 1
            if snoozes > MAX_SNOOZES:
                raise UserFacingError("This week's debrief has been snoozed as often as it can be.")
            row.answered_at = row.answered_at or now
            due = now + SNOOZE
            await outbox.enqueue(
                s,
                member_id=member.id,
                kind="debrief",
                key=f"{base}+snooze{snoozes}",
                due_at=due,
                expires_at=due + SNOOZE_GRACE,
            )
            return due

    async def skip(self, row_id: int, user_id: int) -> None:
        """Skip this week's debrief: no nudge follows."""
        async with unit_of_work(self._sm) as s:
            row, _member = await self._own_row(s, row_id, user_id)
            row.answered_at = row.answered_at or self._clock.now()

    async def check_in(
        self, commitment_id: int, user_id: int, answer: str
    ) -> tuple[MemberRef, dict[str, str]]:
        """Record how a commitment went; return who and the facts for the follow-up question."""
        status = {"done": "done", "partly": "partly", "not_yet": "open"}[answer]
        async with unit_of_work(self._sm) as s:
            commitment = await repo.set_commitment_status(
                s, commitment_id, member_user_id=user_id, status=status, now=self._clock.now()
            )
            if commitment is None:
                raise UserFacingError("That commitment was not found.")
            member = await s.get(Member, commitment.member_id)
            assert member is not None
            await s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.member_id == member.id,
                    OutboxMessage.kind == "checkin",
                    OutboxMessage.occurrence_key == f"c{commitment.id}",
                )
                .values(answered_at=self._clock.now())
            )
            facts = {
                "fact_commitment_id": str(commitment.id),
                "fact_step": commitment.text,
                f"fact_{answer}": "yes",
            }
            return MemberRef(member.guild_id, member.user_id, member.display_name), facts
