"""Weekly schedules and the planner tick on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import OutboxMessage
from bot.db.uow import unit_of_work
from bot.errors import UserFacingError
from bot.services.clock import FixedClock
from bot.services.coaching import MemberRef
from bot.services.schedules import Planner, ScheduleService

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALEX = MemberRef(guild_id=1, user_id=2, display_name="Alex")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def schedules(sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock) -> ScheduleService:
    return ScheduleService(sessionmaker, clock=clock)


@pytest.fixture
def planner(sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock) -> Planner:
    return Planner(sessionmaker, clock=clock)


async def rows(sm: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sm() as s:
        found = await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.scalars())


async def test_set_weekly_confirms_the_next_three_local_times(schedules: ScheduleService) -> None:
    view = await schedules.set_weekly(
        ALEX, weekday=4, local_time=time(18, 30), timezone="Europe/London"
    )
    assert [o.local_date for o in view.upcoming] == [
        date(2026, 11, 27),
        date(2026, 12, 4),
        date(2026, 12, 11),
    ]
    assert view.upcoming[0].due_utc == datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    assert await schedules.last_timezone(ALEX.user_id) == "Europe/London"


async def test_a_bad_zone_is_a_member_facing_error(schedules: ScheduleService) -> None:
    with pytest.raises(UserFacingError):
        await schedules.set_weekly(ALEX, weekday=0, local_time=time(9), timezone="Mars/Olympus")


async def test_planner_enqueues_each_week_once(
    schedules: ScheduleService,
    planner: Planner,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    assert (await planner.tick()).debriefs == 0
    clock.advance(timedelta(hours=1))
    assert (await planner.tick()).debriefs == 1
    assert (await planner.tick()).debriefs == 0
    clock.advance(timedelta(days=7))
    assert (await planner.tick()).debriefs == 1
    keys = [r.occurrence_key for r in await rows(sessionmaker)]
    assert keys == ["2026-11-23", "2026-11-30"]


async def test_missed_weeks_merge_into_one(
    schedules: ScheduleService,
    planner: Planner,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    clock.advance(timedelta(days=22))  # the bot was down for three weekly times
    assert (await planner.tick()).debriefs == 1
    assert [r.occurrence_key for r in await rows(sessionmaker)] == ["2026-12-14"]


async def test_pause_skips_weeks_and_resume_restores_them(
    schedules: ScheduleService,
    planner: Planner,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    view = await schedules.pause(ALEX, date(2026, 12, 14))
    assert view.upcoming[0].local_date == date(2026, 12, 14)
    clock.advance(timedelta(days=8))
    assert (await planner.tick()).debriefs == 0
    resumed = await schedules.resume(ALEX)
    assert resumed.upcoming[0].local_date == date(2026, 12, 7)
    with pytest.raises(UserFacingError, match="after today"):
        await schedules.pause(ALEX, date(2026, 12, 1))


async def test_off_stops_and_cancels_what_is_queued(
    schedules: ScheduleService,
    planner: Planner,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    clock.advance(timedelta(hours=1))
    await planner.tick()
    assert await schedules.off(ALEX) is True
    assert await schedules.off(ALEX) is False
    assert [r.status for r in await rows(sessionmaker)] == ["cancelled"]
    assert await schedules.view(ALEX) is None


async def test_checkins_are_planned_on_the_due_date_in_the_members_zone(
    planner: Planner, clock: FixedClock, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessionmaker) as s:
        member = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Alex")
        member.timezone = "Asia/Tokyo"
        commitment = await repo.add_commitment(
            s,
            member_id=member.id,
            session_id=None,
            text="update my CV",
            due_date=date(2026, 11, 24),
        )
    assert (await planner.tick()).checkins == 0
    clock.advance(timedelta(hours=23, minutes=59))
    assert (await planner.tick()).checkins == 0
    clock.advance(timedelta(minutes=1))  # 18:00 in Tokyo on the 24th is 09:00 UTC
    assert (await planner.tick()).checkins == 1
    assert (await planner.tick()).checkins == 0
    (row,) = await rows(sessionmaker)
    assert row.kind == "checkin"
    assert row.payload == {"commitment_id": commitment.id}
    assert row.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_members_with_closed_dms_are_not_planned(
    schedules: ScheduleService,
    planner: Planner,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    async with unit_of_work(sessionmaker) as s:
        member = await repo.find_member(s, guild_id=1, user_id=2)
        assert member is not None
        await outbox.mark_dms_closed(s, member.id, MONDAY)
    clock.advance(timedelta(hours=1))
    report = await planner.tick()
    assert report.debriefs == 0
    assert report.schedules_advanced == 1
    # Using a command again opens the way.
    await schedules.set_weekly(ALEX, weekday=0, local_time=time(10, 0), timezone="UTC")
    clock.advance(timedelta(days=7))
    assert (await planner.tick()).debriefs == 1
