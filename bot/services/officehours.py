"""Office hours: the queue lives in the database, and each member is taken by one mentor only.

The queue runs in entry id order, handed out as members join; `next` claims atomically (see
bot/db/officehours.py). Weekly sittings, reminders and the figures are in `self.weekly`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import officehours as queries
from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import (
    OFFICE_HOURS_QUEUED,
    Member,
    OfficeHours,
    OfficeHoursEntry,
    OfficeHoursReminder,
    OutboxMessage,
)
from bot.db.uow import unit_of_work
from bot.domain import officehours as oh
from bot.errors import UserFacingError
from bot.services.clock import Clock, SystemClock
from bot.services.coaching import MemberRef
from bot.services.officehours_weekly import WeeklyOfficeHours

OH, E = OfficeHours, OfficeHoursEntry
FOLLOWUP_FRAMEWORK = "officehours_followup"
NOT_OPEN = "These office hours have closed. Keep an eye on the channel for the next ones."


class NoOfficeHours(UserFacingError):
    """Nothing is open where the command was used."""

    def __init__(self) -> None:
        super().__init__(
            "No office hours are open here right now. A mentor can open them with "
            "/officehours open."
        )


@dataclass(frozen=True)
class Sitting:
    """One sitting of office hours, with its queue counted."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    voice_channel_id: int | None
    topic: str | None
    mentor: str | None
    status: str
    card_status: str | None
    closes_at: datetime
    waiting: int
    seen: int

    @property
    def card(self) -> oh.Card:
        """What the card in the channel shows."""
        return oh.Card(
            topic=self.topic,
            mentor=self.mentor,
            closes_at=self.closes_at,
            waiting=self.waiting,
            voice_channel_id=self.voice_channel_id,
            closed=self.status == "closed",
            seen=self.seen,
        )


@dataclass(frozen=True)
class Place:
    """A member's place in a queue and the estimated wait."""

    sitting_id: int
    place: int
    waiting: int
    wait: timedelta

    @property
    def text(self) -> str:
        """What the member is told."""
        return oh.place_text(self.place, self.waiting, self.wait)


@dataclass(frozen=True)
class Taken:
    """The member a mentor takes next, and what they wrote to prepare."""

    entry_id: int
    user_id: int
    prep: oh.Prep


@dataclass(frozen=True)
class NextResult:
    """What `next` did: whose turn ended, who comes now, in which sitting."""

    sitting: Sitting
    finished: str | None
    taken: Taken | None


@dataclass(frozen=True)
class Closing:
    """A sitting that just closed: turns that ended, people who were still waiting."""

    sitting: Sitting
    finished: int
    missed: int


async def _view(s: AsyncSession, row: OfficeHours) -> Sitting:
    counts = await queries.counts(s, row.id)
    mentor = await s.get(Member, row.opened_by_member_id) if row.opened_by_member_id else None
    return Sitting(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        voice_channel_id=row.voice_channel_id,
        topic=row.topic,
        mentor=mentor.display_name if mentor else None,
        status=row.status,
        card_status=row.card_status,
        closes_at=row.closes_at,
        waiting=counts.get("waiting", 0),
        seen=counts.get("called", 0) + counts.get("done", 0),
    )


async def _find(s: AsyncSession, guild_id: int | None, channel_id: int | None) -> OfficeHours:
    """The open sitting in this channel, else the server's only open one."""
    found = await queries.open_sittings(s, guild_id) if guild_id is not None else []
    here = [row for row in found if row.channel_id == channel_id]
    if here:
        return here[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoOfficeHours
    channels = ", ".join(f"<#{row.channel_id}>" for row in found)
    raise UserFacingError(
        f"Office hours are open in several channels ({channels}). Run the command in the "
        "channel of the ones you mean."
    )


async def _already(s: AsyncSession, entry: OfficeHoursEntry) -> UserFacingError:
    if entry.status == "called":
        return UserFacingError("It's your turn already: your mentor is with you now.")
    place, _ = await queries.place_of(s, entry.office_hours_id, entry.id)
    return UserFacingError(
        f"You're already in this queue, {oh.ordinal(place)} in line. Use Leave if your plans "
        "change."
    )


class OfficeHoursService:
    """Open office hours, queue members with their prep, take them in turn, close."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock | None = None
    ) -> None:
        self._sm = sessionmaker
        self._clock = clock or SystemClock()
        self.weekly = WeeklyOfficeHours(sessionmaker, clock=self._clock)

    async def sitting(self, sitting_id: int) -> Sitting | None:
        """A sitting by id, with its queue counted."""
        async with self._sm() as s:
            row = await s.get(OH, sitting_id)
            return None if row is None else await _view(s, row)

    async def find(self, guild_id: int | None, channel_id: int | None) -> Sitting:
        """The open sitting a command in this channel is about."""
        async with self._sm() as s:
            return await _view(s, await _find(s, guild_id, channel_id))

    async def joinable(self, sitting_id: int, guild_id: int, user_id: int) -> str | None:
        """The sitting's topic, when it is open and this member is not in its queue yet.

        One query: a rush of Join presses must each be answered (with the form) quickly.
        """
        member = and_(Member.guild_id == guild_id, Member.user_id == user_id)
        mine = and_(
            E.office_hours_id == OH.id, E.member_id == Member.id, E.status.in_(OFFICE_HOURS_QUEUED)
        )
        async with self._sm() as s:
            found = (
                await s.execute(
                    select(OH.status, OH.topic, E)
                    .select_from(OH)
                    .outerjoin(Member, member)
                    .outerjoin(E, mine)
                    .where(OH.id == sitting_id, OH.guild_id == guild_id)
                )
            ).first()
            if found is None or found.status != "open":
                raise UserFacingError(NOT_OPEN)
            if found.OfficeHoursEntry is not None:
                raise await _already(s, found.OfficeHoursEntry)
            topic: str | None = found.topic
            return topic

    # --- members ---------------------------------------------------------------------------

    async def join(self, sitting_id: int, ref: MemberRef, *, goal: str, tried: str | None) -> Place:
        """Take a place at the end of the queue with the member's prep answers."""
        goal, tried = goal.strip()[: oh.MAX_PREP], (tried or "").strip()[: oh.MAX_PREP] or None
        if not goal:
            raise UserFacingError("Tell me what you'd like from the session, then join again.")
        # Nothing is awaited before the unit of work: joins reach it in the order they came.
        async with unit_of_work(self._sm) as s:
            row = await s.get(OH, sitting_id)
            if row is None or row.status != "open" or row.guild_id != ref.guild_id:
                raise UserFacingError(NOT_OPEN)
            member = await repo.get_or_create_member(
                s, guild_id=ref.guild_id, user_id=ref.user_id, display_name=ref.display_name
            )
            await outbox.mark_dms_open(s, member.id)
            now = self._clock.now()
            entry_id = await queries.add_entry(s, row.id, member.id, goal, tried, now)
            if entry_id is None:
                existing = await queries.queued(s, row.id, member.id)
                assert existing is not None
                raise await _already(s, existing)
        # Reads, after the commit: they need not hold up the joins queued behind this one.
        async with self._sm() as s:
            place, waiting = await queries.place_of(s, row.id, entry_id)
            wait = await queries.estimate(s, row, place - 1)
        return Place(sitting_id, place, waiting, wait)

    async def leave(
        self, guild_id: int | None, channel_id: int | None, user_id: int, sitting_id: int | None
    ) -> Sitting:
        """Give up a place in the queue (of one sitting, or of the one open here)."""
        async with unit_of_work(self._sm) as s:
            row = await _find(s, guild_id, channel_id) if sitting_id is None else None
            row = row or await s.get(OH, sitting_id)
            if row is None:
                raise UserFacingError(NOT_OPEN)
            member = await repo.find_member(s, guild_id=row.guild_id, user_id=user_id)
            entry = await queries.queued(s, row.id, member.id) if member else None
            if entry is None:
                raise UserFacingError("You're not in this queue, so there is nothing to leave.")
            if entry.status == "called":
                raise UserFacingError(
                    "You're with your mentor right now; your turn ends when they take the next "
                    "person or close office hours."
                )
            entry.status, entry.finished_at = "left", self._clock.now()
            await s.flush()
            return await _view(s, row)

    async def queue_text(
        self, guild_id: int | None, channel_id: int | None, user_id: int, *, mentor: bool
    ) -> str:
        """The queue: every goal for mentors, only their own place for members."""
        now = self._clock.now()
        async with self._sm() as s:
            row = await _find(s, guild_id, channel_id)
            if mentor:
                found = await s.execute(
                    select(E, Member.display_name)
                    .join(Member, Member.id == E.member_id)
                    .where(E.office_hours_id == row.id, E.status.in_(OFFICE_HOURS_QUEUED))
                    .order_by(E.id)
                )
                waiting: list[oh.Waiting] = []
                busy: list[str] = []
                for queued, name in found.all():
                    if queued.status == "called":
                        busy.append(name)
                    else:
                        waited = now - queued.joined_at
                        waiting.append(oh.Waiting(len(waiting) + 1, name, queued.goal, waited))
                return oh.mentor_queue_text(waiting, busy)
            total = int(await s.scalar(queries.waiting_count(row.id)) or 0)
            member = await repo.find_member(s, guild_id=row.guild_id, user_id=user_id)
            entry = await queries.queued(s, row.id, member.id) if member else None
            if entry is None:
                return (
                    f"Waiting now: {oh.people(total)}. Press Join on the card or run "
                    "/officehours join to take a place."
                )
            if entry.status == "called":
                return "It's your turn: your mentor is with you now."
            place, _ = await queries.place_of(s, row.id, entry.id)
            return oh.place_text(place, total, await queries.estimate(s, row, place - 1))

    async def set_reminders(self, ref: MemberRef, on: bool) -> None:
        """Turn the DM an hour before scheduled office hours on or off."""
        async with unit_of_work(self._sm) as s:
            member = await repo.get_or_create_member(
                s, guild_id=ref.guild_id, user_id=ref.user_id, display_name=ref.display_name
            )
            await outbox.mark_dms_open(s, member.id)
            if on:
                stmt = (
                    repo.upsert_insert(s, OfficeHoursReminder)
                    .values(member_id=member.id, created_at=self._clock.now())
                    .on_conflict_do_nothing(index_elements=["member_id"])
                )
                await s.execute(stmt)
            else:
                await s.execute(
                    delete(OfficeHoursReminder).where(OfficeHoursReminder.member_id == member.id)
                )

    async def followup_start(self, entry_id: int, user_id: int) -> MemberRef:
        """Mark the follow-up DM answered and say whose next-step conversation to start."""
        async with unit_of_work(self._sm) as s:
            entry = await s.get(E, entry_id)
            member = await s.get(Member, entry.member_id) if entry else None
            if entry is None or member is None or member.user_id != user_id:
                raise UserFacingError("That office-hours session was not found.")
            await s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.member_id == member.id,
                    OutboxMessage.kind == "oh_followup",
                    OutboxMessage.occurrence_key == f"e{entry.id}",
                )
                .values(answered_at=self._clock.now())
            )
            await outbox.mark_dms_open(s, member.id)
            return MemberRef(member.guild_id, member.user_id, member.display_name)

    # --- mentors ---------------------------------------------------------------------------

    async def open(
        self,
        guild_id: int,
        channel_id: int,
        mentor: MemberRef,
        *,
        duration: timedelta,
        topic: str | None,
        voice_channel_id: int | None,
    ) -> Sitting:
        """Open office hours in a channel for a while."""
        now = self._clock.now()
        async with unit_of_work(self._sm) as s:
            if any(r.channel_id == channel_id for r in await queries.open_sittings(s, guild_id)):
                raise UserFacingError(
                    "Office hours are already open in this channel. Close them first with "
                    "/officehours close, or open them in another channel."
                )
            opener = await repo.get_or_create_member(
                s, guild_id=guild_id, user_id=mentor.user_id, display_name=mentor.display_name
            )
            row = OH(
                guild_id=guild_id,
                channel_id=channel_id,
                voice_channel_id=voice_channel_id,
                topic=(topic or "").strip()[:200] or None,
                opened_by_member_id=opener.id,
                status="open",
                opened_at=now,
                closes_at=now + duration,
            )
            s.add(row)
            await s.flush()
            return await _view(s, row)

    async def next(
        self, guild_id: int | None, channel_id: int | None, mentor: MemberRef
    ) -> NextResult:
        """End the mentor's current turn, then take the first member still waiting."""
        now = self._clock.now()
        async with unit_of_work(self._sm) as s:
            row = await _find(s, guild_id, channel_id)
            me = await repo.get_or_create_member(
                s, guild_id=row.guild_id, user_id=mentor.user_id, display_name=mentor.display_name
            )
            mine = (E.office_hours_id == row.id) & (E.mentor_member_id == me.id)
            ended = await queries.finish_turns(s, mine, now)
            claimed = await queries.claim_next(s, row.id, me.id, now)
            sitting = await _view(s, row)
            finished = ended[0] if ended else None
            if claimed is None:
                return NextResult(sitting, finished, None)
            member = await s.get(Member, claimed.member_id)
            assert member is not None
            commitments: list[str] | None = None
            if member.share_progress:
                commitments = [
                    c.text + (f" (by {c.due_date:%a %d %b})" if c.due_date else "")
                    for c in await repo.list_commitments(s, member.id, "open")
                ]
            prep = oh.Prep(
                name=member.display_name,
                goal=claimed.goal,
                tried=claimed.tried,
                waited=now - claimed.joined_at,
                commitments=commitments,
            )
            return NextResult(sitting, finished, Taken(claimed.id, member.user_id, prep))

    async def finish(self, entry_id: int, mentor_user_id: int) -> str:
        """End one turn from the mentor's Finish button; return the member's name."""
        async with unit_of_work(self._sm) as s:
            entry = await s.get(E, entry_id)
            mentor_id = entry.mentor_member_id if entry else None
            mentor = await s.get(Member, mentor_id) if mentor_id else None
            if entry is None or mentor is None or mentor.user_id != mentor_user_id:
                raise UserFacingError("That session was not found among yours.")
            if entry.status != "called":
                raise UserFacingError("That session has ended already.")
            return (await queries.finish_turns(s, E.id == entry_id, self._clock.now()))[0]

    async def close(
        self, guild_id: int | None, channel_id: int | None, sitting_id: int | None = None
    ) -> Closing:
        """Close office hours now: turns in progress end, people still waiting are told."""
        async with unit_of_work(self._sm) as s:
            row = await _find(s, guild_id, channel_id) if sitting_id is None else None
            row = row or await s.get(OH, sitting_id)
            if row is None or row.status != "open":
                raise NoOfficeHours
            finished, missed = await queries.close_sitting(s, row, self._clock.now())
            return Closing(await _view(s, row), finished, missed)

    # --- the card --------------------------------------------------------------------------

    async def card_shown(self, sitting_id: int, status: str, message_id: int | None = None) -> None:
        """Remember what the card shows (and where it is) once Discord has it."""
        values: dict[str, object] = {"card_status": status}
        if message_id is not None:
            values["message_id"] = message_id
        async with unit_of_work(self._sm) as s:
            await s.execute(update(OH).where(OH.id == sitting_id).values(**values))

    async def cards_to_sync(self) -> list[Sitting]:
        """Sittings whose card is missing, or still shows them open after they closed."""
        missing = (OH.status == "open") & OH.message_id.is_(None) & OH.card_status.is_(None)
        stale = (OH.status == "closed") & OH.message_id.is_not(None) & (OH.card_status == "open")
        async with self._sm() as s:
            found = await s.execute(select(OH).where(missing | stale).order_by(OH.id))
            return [await _view(s, row) for row in found.scalars()]
