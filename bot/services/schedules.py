"""Weekly debrief schedules and the planner tick that turns them into outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import Commitment, Member, MemberSchedule, OutboxMessage
from bot.db.uow import unit_of_work
from bot.domain import schedule as rules
from bot.domain.dates import local_date
from bot.domain.timezones import is_valid_zone, search_zones
from bot.errors import UserFacingError
from bot.services.clock import Clock, SystemClock
from bot.services.coaching import MemberRef

DEBRIEF = "debrief"
# Short transactions: on SQLite the sender's writes queue behind each planner batch.
PLAN_BATCH = 100


@dataclass(frozen=True)
class ScheduleView:
    """A member's weekly debrief as they set it, with the next send times."""

    weekday: int
    local_time: time
    timezone: str
    paused_until: date | None
    upcoming: list[rules.Occurrence]


@dataclass
class PlanReport:
    """What one planner tick enqueued."""

    debriefs: int = 0
    checkins: int = 0
    schedules_advanced: int = 0


def _rule(row: MemberSchedule) -> rules.WeeklyRule:
    return rules.WeeklyRule.stored(row.timezone, row.weekday, row.local_time)


class ScheduleService:
    """Set, pause, resume and stop a member's weekly debrief."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock | None = None
    ) -> None:
        self._sm = sessionmaker
        self._clock = clock or SystemClock()

    async def set_weekly(
        self, ref: MemberRef, *, weekday: int, local_time: time, timezone: str
    ) -> ScheduleView:
        """Create or change the weekly debrief; return it with its next three send times."""
        try:
            rule = rules.WeeklyRule(timezone, weekday, local_time)
        except ValueError as exc:
            guesses = search_zones(timezone, 3)
            hint = f" Did you mean {' or '.join(guesses)}?" if guesses else ""
            raise UserFacingError(f"{exc}{hint}") from exc
        now = self._clock.now()
        first = rules.next_occurrence(rule, now)
        async with unit_of_work(self._sm) as s:
            member = await repo.get_or_create_member(
                s, guild_id=ref.guild_id, user_id=ref.user_id, display_name=ref.display_name
            )
            member.timezone = timezone  # remembered for the next autocomplete and for dates
            await outbox.mark_dms_open(s, member.id)
            row = await self._row(s, member.id)
            if row is None:
                row = MemberSchedule(member_id=member.id, kind=DEBRIEF)
                s.add(row)
            row.timezone, row.weekday = timezone, weekday
            row.local_time = local_time.strftime("%H:%M")
            row.next_due_utc = first.due_utc
            row.paused_until = None
        return ScheduleView(weekday, local_time, timezone, None, rules.upcoming(rule, now, 3))

    async def pause(self, ref: MemberRef, until: date) -> ScheduleView:
        """Send nothing before `until` (the member's local date); resume from that date on."""
        return await self._update(ref, paused_until=until)

    async def resume(self, ref: MemberRef) -> ScheduleView:
        """Lift a pause so the next weekly time is sent again."""
        return await self._update(ref, paused_until=None)

    async def off(self, ref: MemberRef) -> bool:
        """Stop the weekly debrief and drop anything queued for it; say whether one existed."""
        async with unit_of_work(self._sm) as s:
            member = await repo.find_member(s, guild_id=ref.guild_id, user_id=ref.user_id)
            if member is None:
                return False
            gone = await s.execute(
                delete(MemberSchedule)
                .where(MemberSchedule.member_id == member.id, MemberSchedule.kind == DEBRIEF)
                .returning(MemberSchedule.id)
            )
            await s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.member_id == member.id,
                    OutboxMessage.kind.in_(("debrief", "nudge")),
                    OutboxMessage.status == "pending",
                    OutboxMessage.lease_until.is_(None),
                )
                .values(status="cancelled", last_error="schedule turned off")
            )
            return gone.first() is not None

    async def view(self, ref: MemberRef) -> ScheduleView | None:
        """The member's schedule, or None when they have not set one."""
        async with self._sm() as s:
            member = await repo.find_member(s, guild_id=ref.guild_id, user_id=ref.user_id)
            row = await self._row(s, member.id) if member else None
            return None if row is None else self._view(row)

    async def _update(self, ref: MemberRef, *, paused_until: date | None) -> ScheduleView:
        async with unit_of_work(self._sm) as s:
            member = await repo.find_member(s, guild_id=ref.guild_id, user_id=ref.user_id)
            row = await self._row(s, member.id) if member else None
            if row is None:
                raise UserFacingError(
                    "You have no weekly debrief yet: set one with /debrief schedule."
                )
            now = self._clock.now()
            if paused_until is not None and paused_until <= local_date(now, row.timezone):
                raise UserFacingError("Pick a date after today to pause until.")
            row.paused_until = paused_until
            row.next_due_utc = rules.next_occurrence(_rule(row), now, paused_until).due_utc
            return self._view(row)

    async def last_timezone(self, user_id: int) -> str | None:
        """The zone this user chose most recently, in any server."""
        async with self._sm() as s:
            found = await s.execute(
                select(Member.timezone)
                .where(Member.user_id == user_id, Member.timezone.is_not(None))
                .order_by(Member.updated_at.desc())
                .limit(1)
            )
            return found.scalar_one_or_none()

    async def open_commitments(self, ref: MemberRef) -> list[Commitment]:
        """The user's open commitments from every server, soonest due first."""
        async with self._sm() as s:
            found = await s.execute(
                select(Commitment)
                .join(Member, Member.id == Commitment.member_id)
                .where(Member.user_id == ref.user_id, Commitment.status == "open")
                .order_by(Commitment.due_date.is_(None), Commitment.due_date, Commitment.id)
            )
            return list(found.scalars())

    async def set_commitment(self, commitment_id: int, user_id: int, status: str) -> None:
        """Mark one of the user's commitments done, dropped, or still open."""
        async with unit_of_work(self._sm) as s:
            changed = await repo.set_commitment_status(
                s, commitment_id, member_user_id=user_id, status=status, now=self._clock.now()
            )
            if changed is None:
                raise UserFacingError("That commitment was not found.")

    def _view(self, row: MemberSchedule) -> ScheduleView:
        rule = _rule(row)
        coming = rules.upcoming(rule, self._clock.now(), 3, row.paused_until)
        return ScheduleView(row.weekday, rule.local_time, row.timezone, row.paused_until, coming)

    @staticmethod
    async def _row(s: AsyncSession, member_id: int) -> MemberSchedule | None:
        found = await s.execute(
            select(MemberSchedule).where(
                MemberSchedule.member_id == member_id, MemberSchedule.kind == DEBRIEF
            )
        )
        return found.scalar_one_or_none()


class Planner:
    """Turn due schedules and due commitments into outbox rows; safe to run anywhere, often."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        clock: Clock | None = None,
        default_timezone: str = "UTC",
    ) -> None:
        self._sm = sessionmaker
        self._clock = clock or SystemClock()
        self._default_tz = default_timezone

    async def tick(self) -> PlanReport:
        """Enqueue every occurrence due by now, then every check-in due by now."""
        report = PlanReport()
        now = self._clock.now()
        while await self._plan_debriefs(now, report):
            pass
        await self._plan_checkins(now, report)
        return report

    async def _plan_debriefs(self, now: datetime, report: PlanReport) -> bool:
        """Plan one batch; return whether there may be more."""
        async with unit_of_work(self._sm) as s:
            due = await s.execute(
                select(MemberSchedule, Member.dm_closed_at)
                .join(Member, Member.id == MemberSchedule.member_id)
                .where(MemberSchedule.next_due_utc <= now)
                .order_by(MemberSchedule.next_due_utc)
                .limit(PLAN_BATCH)
                # PostgreSQL, several processes: each plans rows no other planner holds, and
                # a member's schedule change waits for (or is skipped by) this batch.
                .with_for_update(of=MemberSchedule, skip_locked=True)
            )
            rows = due.all()
            for row, dm_closed_at in rows:
                occurrence, following = rules.due_occurrences(
                    _rule(row), row.next_due_utc, now, row.paused_until
                )
                # Closed DMs: keep the rule moving, send nothing until the member is back.
                if occurrence is not None and dm_closed_at is None:
                    added = await outbox.enqueue(
                        s,
                        member_id=row.member_id,
                        kind="debrief",
                        key=occurrence.key,
                        due_at=occurrence.due_utc,
                        expires_at=occurrence.due_utc + rules.DEBRIEF_GRACE,
                    )
                    report.debriefs += int(added)
                row.next_due_utc = following
                report.schedules_advanced += 1
        return len(rows) == PLAN_BATCH

    async def _plan_checkins(self, now: datetime, report: PlanReport) -> None:
        horizon = now.date() + timedelta(days=1)  # no zone is more than a day ahead of UTC
        key = "c" + Commitment.id.cast(OutboxMessage.occurrence_key.type)
        queued = exists().where(
            and_(
                OutboxMessage.member_id == Commitment.member_id,
                OutboxMessage.kind == "checkin",
                OutboxMessage.occurrence_key == key,
            )
        )
        async with unit_of_work(self._sm) as s:
            found = await s.execute(
                select(Commitment, Member.timezone, Member.dm_closed_at)
                .join(Member, Member.id == Commitment.member_id)
                .where(
                    Commitment.status == "open",
                    Commitment.due_date.is_not(None),
                    Commitment.due_date <= horizon,
                    ~queued,
                )
            )
            for commitment, timezone, dm_closed_at in found.all():
                assert commitment.due_date is not None
                # A zone that no longer loads must not stop every other member's check-in.
                zone = timezone if timezone and is_valid_zone(timezone) else self._default_tz
                due_at = rules.checkin_due(commitment.due_date, zone)
                if due_at > now or dm_closed_at is not None:
                    continue
                added = await outbox.enqueue(
                    s,
                    member_id=commitment.member_id,
                    kind="checkin",
                    key=f"c{commitment.id}",
                    due_at=due_at,
                    expires_at=due_at + rules.CHECKIN_GRACE,
                    payload={"commitment_id": commitment.id},
                )
                report.checkins += int(added)
