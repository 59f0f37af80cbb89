"""Weekly office hours: schedules, the tick that opens, reminds and closes, and the figures.

Everything due is found in the tables by a tick, so a restart loses none of it: a sitting
opens once per occurrence (a unique key), reminders are queued once per occurrence (the
schedule remembers it, and the outbox key repeats), and a sitting past its end closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import officehours as queries
from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import (
    Member,
    OfficeHours,
    OfficeHoursEntry,
    OfficeHoursReminder,
    OfficeHoursSchedule,
    OutboxMessage,
)
from bot.db.uow import unit_of_work
from bot.domain import officehours as oh
from bot.domain import schedule as rules
from bot.domain.timezones import search_zones
from bot.errors import UserFacingError
from bot.services.clock import Clock, SystemClock
from bot.services.coaching import MemberRef
from bot.services.dashboard import Section
from bot.services.ports import Button, OutgoingDM

OH, E, SCH = OfficeHours, OfficeHoursEntry, OfficeHoursSchedule
KINDS = ("oh_reminder", "oh_followup", "oh_closed")


@dataclass(frozen=True)
class WeeklySlot:
    """Recurring office hours as set, with the next opening times."""

    weekday: int
    local_time: time
    timezone: str
    duration: timedelta
    topic: str | None
    upcoming: list[datetime]


@dataclass
class TickReport:
    """What one office-hours tick did."""

    opened: int = 0
    closed: int = 0
    reminders: int = 0


def _rule(row: OfficeHoursSchedule) -> rules.WeeklyRule:
    return rules.WeeklyRule.stored(row.timezone, row.weekday, row.local_time)


class WeeklyOfficeHours:
    """Set and stop weekly office hours; open, remind and close on time; count the week."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock | None = None
    ) -> None:
        self._sm = sessionmaker
        self._clock = clock or SystemClock()

    async def schedule(
        self,
        guild_id: int,
        channel_id: int,
        mentor: MemberRef,
        *,
        weekday: int,
        local_time: time,
        timezone: str,
        duration: timedelta,
        topic: str | None,
        voice_channel_id: int | None,
    ) -> WeeklySlot:
        """Open office hours in this channel every week at a time on the mentor's clock."""
        try:
            rule = rules.WeeklyRule(timezone, weekday, local_time)
        except ValueError as exc:
            guesses = search_zones(timezone, 3)
            hint = f" Did you mean {' or '.join(guesses)}?" if guesses else ""
            raise UserFacingError(f"{exc}{hint}") from exc
        now = self._clock.now()
        topic = (topic or "").strip()[:200] or None
        at = local_time.strftime("%H:%M")
        async with unit_of_work(self._sm) as s:
            creator = await repo.get_or_create_member(
                s, guild_id=guild_id, user_id=mentor.user_id, display_name=mentor.display_name
            )
            creator.timezone = timezone  # offered first by the next time zone autocomplete
            row = (
                await s.execute(
                    select(SCH).where(
                        SCH.guild_id == guild_id,
                        SCH.channel_id == channel_id,
                        SCH.weekday == weekday,
                        SCH.local_time == at,
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                row = SCH(guild_id=guild_id, channel_id=channel_id, weekday=weekday, local_time=at)
                s.add(row)
            row.timezone, row.topic, row.voice_channel_id = timezone, topic, voice_channel_id
            row.duration_minutes = int(duration.total_seconds() // 60)
            row.next_open_utc = rules.next_occurrence(rule, now).due_utc
            row.created_by_member_id = creator.id
            row.reminded_key = None
        coming = [o.due_utc for o in rules.upcoming(rule, now, 3)]
        return WeeklySlot(weekday, local_time, timezone, duration, topic, coming)

    async def unschedule(
        self, guild_id: int, channel_id: int, *, weekday: int, local_time: time
    ) -> bool:
        """Stop weekly office hours in this channel at that day and time."""
        async with unit_of_work(self._sm) as s:
            gone = await s.execute(
                delete(SCH)
                .where(
                    SCH.guild_id == guild_id,
                    SCH.channel_id == channel_id,
                    SCH.weekday == weekday,
                    SCH.local_time == local_time.strftime("%H:%M"),
                )
                .returning(SCH.id)
            )
            ids = list(gone.scalars())
            if ids:
                # Reminders queued already would announce office hours that won't open.
                await s.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.kind == "oh_reminder",
                        OutboxMessage.status == "pending",
                        OutboxMessage.lease_until.is_(None),
                        or_(*[OutboxMessage.occurrence_key.like(f"s{i}:%") for i in ids]),
                    )
                    .values(status="cancelled", last_error="schedule removed")
                )
            return bool(ids)

    async def next_opening(self, guild_id: int, channel_id: int | None = None) -> datetime | None:
        """When scheduled office hours next open in the server (or in one channel)."""
        async with self._sm() as s:
            query = select(func.min(SCH.next_open_utc)).where(SCH.guild_id == guild_id)
            if channel_id is not None:
                query = query.where(SCH.channel_id == channel_id)
            found: datetime | None = await s.scalar(query)
            return found

    async def tick(self) -> TickReport:
        """Queue reminders, open scheduled sittings, and close the ones whose time is up."""
        report = TickReport()
        now = self._clock.now()
        await self._remind(now, report)
        await self._open_due(now, report)
        async with unit_of_work(self._sm) as s:
            due = await s.execute(
                select(OH).where(OH.status == "open", OH.closes_at <= now).order_by(OH.id)
            )
            for row in due.scalars():
                await queries.close_sitting(s, row, now)
                report.closed += 1
        return report

    async def _remind(self, now: datetime, report: TickReport) -> None:
        async with unit_of_work(self._sm) as s:
            soon = await s.execute(
                select(SCH).where(SCH.next_open_utc <= now + oh.REMIND_BEFORE).order_by(SCH.id)
            )
            for row in soon.scalars():
                if row.next_open_utc <= now:
                    continue  # opening now: too late for an hour's notice
                occurrence = rules.next_occurrence(
                    _rule(row), row.next_open_utc - timedelta(seconds=1)
                )
                if row.reminded_key == occurrence.key:
                    continue
                members = await s.execute(
                    select(Member.id)
                    .join(OfficeHoursReminder, OfficeHoursReminder.member_id == Member.id)
                    .where(Member.guild_id == row.guild_id, Member.dm_closed_at.is_(None))
                )
                for (member_id,) in members.all():
                    added = await outbox.enqueue(
                        s,
                        member_id=member_id,
                        kind="oh_reminder",
                        key=f"s{row.id}:{occurrence.key}",
                        due_at=now,
                        expires_at=row.next_open_utc,
                        payload={"schedule_id": row.id, "opens_at": row.next_open_utc.isoformat()},
                    )
                    report.reminders += int(added)
                row.reminded_key = occurrence.key

    async def _open_due(self, now: datetime, report: TickReport) -> None:
        async with unit_of_work(self._sm) as s:
            due = await s.execute(select(SCH).where(SCH.next_open_utc <= now).order_by(SCH.id))
            for row in due.scalars():
                occurrence, following = rules.due_occurrences(_rule(row), row.next_open_utc, now)
                row.next_open_utc = following
                if occurrence is None:
                    continue
                closes = occurrence.due_utc + timedelta(minutes=row.duration_minutes)
                if closes <= now:
                    continue  # the bot was down for the whole sitting
                busy = await s.scalar(
                    select(OH.id).where(
                        OH.guild_id == row.guild_id,
                        OH.channel_id == row.channel_id,
                        OH.status == "open",
                    )
                )
                if busy is not None:
                    continue  # a mentor opened office hours here by hand already
                stmt = (
                    repo.upsert_insert(s, OH)
                    .values(
                        guild_id=row.guild_id,
                        channel_id=row.channel_id,
                        voice_channel_id=row.voice_channel_id,
                        topic=row.topic,
                        opened_by_member_id=row.created_by_member_id,
                        schedule_id=row.id,
                        occurrence_key=occurrence.key,
                        status="open",
                        opened_at=now,
                        closes_at=closes,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence_key"])
                    .returning(OH.id)
                )
                report.opened += int((await s.execute(stmt)).scalar_one_or_none() is not None)

    async def weekly_stats(self, guild_id: int, now: datetime | None = None) -> oh.WeeklyStats:
        """The last seven days of office hours in a server (for the mentors' dashboard)."""
        now = now or self._clock.now()
        start = now - oh.STATS_WINDOW
        in_guild = and_(OH.id == E.office_hours_id, OH.guild_id == guild_id)
        async with self._sm() as s:
            visits = await s.execute(
                select(E.member_id, E.joined_at, E.called_at, E.finished_at)
                .join(OH, in_guild)
                .where(E.joined_at >= start, E.joined_at <= now)
            )
            before = await s.execute(
                select(E.member_id)
                .join(OH, in_guild)
                .where(E.called_at.is_not(None), E.called_at < start)
                .distinct()
            )
            held = await s.scalar(
                select(func.count()).where(
                    OH.guild_id == guild_id, OH.opened_at >= start, OH.opened_at <= now
                )
            )
            return oh.weekly_stats(
                [oh.Visit(*row) for row in visits.all()],
                seen_before=set(before.scalars()),
                office_hours=int(held or 0),
            )

    async def dashboard_section(self, guild_id: int) -> Section:
        """The week's office hours as a block on the mentors' /dashboard."""
        return Section(
            "Office hours, last 7 days", oh.stats_lines(await self.weekly_stats(guild_id))
        )


def followup_button(entry_id: int) -> Button:
    """The button on the follow-up DM that starts the next-step conversation."""
    return Button(f"ohnext:{entry_id}", "Plan my next step", "primary")


async def compose(s: AsyncSession, row: OutboxMessage) -> OutgoingDM | None:
    """The DM for an office-hours outbox row, or None when it no longer makes sense."""
    if row.kind == "oh_reminder":
        schedule = await s.get(SCH, int(row.payload["schedule_id"]))
        if schedule is None:
            return None
        opens = datetime.fromisoformat(str(row.payload["opens_at"]))
        return OutgoingDM(oh.reminder_text(schedule.topic, opens, schedule.channel_id))
    entry = await s.get(E, int(row.payload["entry_id"]))
    sitting = await s.get(OH, entry.office_hours_id) if entry else None
    if entry is None or sitting is None:
        return None
    if row.kind == "oh_followup":
        mentor = await s.get(Member, entry.mentor_member_id) if entry.mentor_member_id else None
        text = oh.followup_text(mentor.display_name if mentor else None)
        return OutgoingDM(text, (followup_button(entry.id),))
    if row.kind == "oh_closed":
        if entry.status != "missed":
            return None
        following = await s.scalar(
            select(func.min(SCH.next_open_utc)).where(
                SCH.guild_id == sitting.guild_id, SCH.channel_id == sitting.channel_id
            )
        )
        return OutgoingDM(oh.closed_text(sitting.topic, sitting.channel_id, following))
    raise ValueError(f"not an office-hours outbox kind: {row.kind!r}")
