"""A member's own progress across their member rows, and what they share with mentors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    CoachingSession,
    Commitment,
    Goal,
    Member,
    OutboxMessage,
    SafetyEvent,
    StressScore,
)
from bot.db.uow import unit_of_work
from bot.domain import progress as maths
from bot.services.clock import FixedClock
from bot.services.progress import CHART_WEEKS, ProgressService

# Thursday of ISO week 2026-W11.
NOW = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
THIS_MONDAY = date(2026, 3, 9)
USER = 501


def monday(weeks_ago: int) -> date:
    return THIS_MONDAY - timedelta(weeks=weeks_ago)


def at(day: date, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Seed:
    """Write rows with chosen times straight into the tables, one unit of work each."""

    def __init__(self, sm: async_sessionmaker[AsyncSession]) -> None:
        self.sm = sm

    async def member(self, guild: int, user: int, name: str, *, share: bool = False) -> int:
        async with unit_of_work(self.sm) as s:
            row = Member(guild_id=guild, user_id=user, display_name=name, share_progress=share)
            s.add(row)
            await s.flush()
            return row.id

    async def share(self, member_id: int, value: bool = True) -> None:
        async with unit_of_work(self.sm) as s:
            await s.execute(
                update(Member).where(Member.id == member_id).values(share_progress=value)
            )

    async def session(
        self, member_id: int, framework: str = "grow", when: datetime = NOW, status: str = "done"
    ) -> int:
        async with unit_of_work(self.sm) as s:
            row = CoachingSession(
                member_id=member_id,
                framework_id=framework,
                framework_version=1,
                stage_id="end",
                status=status,
                state={},
                started_at=when,
                updated_at=when,
            )
            s.add(row)
            await s.flush()
            return row.id

    async def score(self, member_id: int, week_start: date, score: int, hour: int = 18) -> None:
        iso = week_start.isocalendar()
        async with unit_of_work(self.sm) as s:
            s.add(
                StressScore(
                    member_id=member_id,
                    iso_year=iso.year,
                    iso_week=iso.week,
                    score=score,
                    recorded_at=at(week_start + timedelta(days=4), hour),
                )
            )

    async def goal(self, member_id: int, text: str, status: str = "active") -> None:
        async with unit_of_work(self.sm) as s:
            s.add(Goal(member_id=member_id, text=text, status=status))

    async def commitment(
        self,
        member_id: int,
        text: str,
        *,
        due: date | None = None,
        status: str = "open",
        created: datetime = NOW,
        completed: datetime | None = None,
    ) -> None:
        async with unit_of_work(self.sm) as s:
            s.add(
                Commitment(
                    member_id=member_id,
                    text=text,
                    due_date=due,
                    status=status,
                    created_at=created,
                    completed_at=completed,
                )
            )

    async def debrief(
        self,
        member_id: int,
        due: datetime,
        *,
        status: str = "sent",
        answered: bool = False,
        key: str | None = None,
    ) -> None:
        async with unit_of_work(self.sm) as s:
            s.add(
                OutboxMessage(
                    member_id=member_id,
                    kind="debrief",
                    occurrence_key=key or due.date().isoformat(),
                    due_at=due,
                    expires_at=due + timedelta(hours=6),
                    status=status,
                    sent_at=due if status == "sent" else None,
                    answered_at=due + timedelta(minutes=5) if answered else None,
                    payload={},
                )
            )

    async def safety(self, member_id: int, when: datetime) -> None:
        async with unit_of_work(self.sm) as s:
            s.add(
                SafetyEvent(member_id=member_id, concerns="self_harm", rules="r", created_at=when)
            )


@pytest.fixture
def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> Seed:
    return Seed(sessionmaker)


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> ProgressService:
    return ProgressService(sessionmaker, clock=FixedClock(NOW))


async def three_rows(seed: Seed) -> tuple[int, int, int]:
    """The user in server 10, in DMs (0) and in server 20, each with its own records."""
    here = await seed.member(10, USER, "Ada")
    dms = await seed.member(0, USER, "Ada")
    elsewhere = await seed.member(20, USER, "Ada")
    for member_id, label in ((here, "here"), (dms, "dm"), (elsewhere, "elsewhere")):
        await seed.goal(member_id, f"goal {label}")
        await seed.commitment(member_id, f"step {label}", due=date(2026, 3, 20))
        await seed.session(member_id, "grow")
    await seed.session(here, "stress_debrief")
    await seed.session(dms, "stress_debrief")
    await seed.session(elsewhere, "star_story")
    return here, dms, elsewhere


async def test_in_dms_every_row_of_the_user_counts(seed: Seed, service: ProgressService) -> None:
    await three_rows(seed)
    await seed.member(10, USER + 1, "Someone else")
    found = await service.own(USER, None, "Ada")
    assert sorted(found.goals) == ["goal dm", "goal elsewhere", "goal here"]
    assert sorted(c.text for c in found.open_commitments) == [
        "step dm",
        "step elsewhere",
        "step here",
    ]
    assert dict(found.sessions_by_framework) == {"grow": 3, "stress_debrief": 2, "star_story": 1}
    # Most used first.
    assert found.sessions_by_framework[0] == ("grow", 3)


async def test_in_a_server_only_that_server_and_the_dm_rows(
    seed: Seed, service: ProgressService
) -> None:
    await three_rows(seed)
    found = await service.own(USER, 10, "Ada")
    assert sorted(found.goals) == ["goal dm", "goal here"]
    assert dict(found.sessions_by_framework) == {"grow": 2, "stress_debrief": 2}
    assert not found.is_empty
    assert (await service.own(USER, 30, "Ada")).goals == ["goal dm"]


async def test_a_user_with_nothing_yet_gets_an_empty_progress(service: ProgressService) -> None:
    found = await service.own(USER, None, "Ada")
    assert found.is_empty
    assert (found.streak, found.stress, found.trend, found.latest_stress) == (0, [], None, None)


async def test_commitments_ordered_by_due_date_and_completed_counted(
    seed: Seed, service: ProgressService
) -> None:
    member_id = await seed.member(0, USER, "Ada")
    await seed.commitment(member_id, "undated")
    await seed.commitment(member_id, "later", due=date(2026, 4, 1))
    await seed.commitment(member_id, "sooner", due=date(2026, 3, 14))
    await seed.commitment(member_id, "dropped", status="dropped")
    for n in range(5):
        done_at = NOW - timedelta(days=10 - n)
        await seed.commitment(member_id, f"done {n}", status="done", completed=done_at)
    found = await service.own(USER, None, "Ada")
    assert [c.text for c in found.open_commitments] == ["sooner", "later", "undated"]
    assert found.completed == 5
    assert [c.text for c in found.recently_completed] == ["done 4", "done 3", "done 2"]


async def test_stress_streak_trend_and_the_charted_weeks(
    seed: Seed, service: ProgressService
) -> None:
    member_id = await seed.member(10, USER, "Ada")
    # Forty weeks ago (off the chart), then the last five weeks rising; nothing this week yet.
    await seed.score(member_id, monday(40), 9)
    for weeks_ago, score in ((5, 2), (4, 3), (3, 4), (2, 5), (1, 6)):
        await seed.score(member_id, monday(weeks_ago), score)
    found = await service.own(USER, 10, "Ada")
    assert found.streak == 5
    assert found.stress == [(monday(w), s) for w, s in ((5, 2), (4, 3), (3, 4), (2, 5), (1, 6))]
    assert found.latest_stress == (monday(1), 6)
    assert found.trend is not None
    assert found.trend.slope == pytest.approx(1.0)
    assert found.trend.direction == "rising"
    assert all(day >= monday(CHART_WEEKS - 1) for day, _ in found.stress)


async def test_the_same_week_in_two_rows_keeps_the_later_answer(
    seed: Seed, service: ProgressService
) -> None:
    here = await seed.member(10, USER, "Ada")
    dms = await seed.member(0, USER, "Ada")
    await seed.score(here, monday(1), 8, hour=20)
    await seed.score(dms, monday(1), 3, hour=9)
    await seed.score(dms, monday(0), 4)
    found = await service.own(USER, None, "Ada")
    assert found.stress == [(monday(1), 8), (monday(0), 4)]
    assert found.streak == 2
    assert maths.week_of(found.stress[-1][0]) == (2026, 11)


async def test_mentors_see_only_a_sharing_members_server_row(
    seed: Seed, service: ProgressService
) -> None:
    here, dms, _ = await three_rows(seed)
    assert await service.shared(10, USER) is None
    await seed.share(here)
    # A DM row is never a server's to show, even when its flag is set.
    await seed.share(dms)
    shared = await service.shared(10, USER)
    assert shared is not None
    assert shared.name == "Ada"
    # Only this server's row: nothing from the DM row or the other server.
    assert shared.goals == ["goal here"]
    assert [c.text for c in shared.open_commitments] == ["step here"]
    assert dict(shared.sessions_by_framework) == {"grow": 1, "stress_debrief": 1}
    assert await service.shared(20, USER) is None
    assert await service.shared(0, USER) is None
    assert await service.shared(10, USER + 1) is None
