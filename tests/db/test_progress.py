"""Goals, commitments and weekly stress scores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db import repositories as repo
from bot.db.models import Commitment, Goal, Member, StressScore
from bot.db.uow import UnitOfWork
from tests.db.conftest import MakeMember, MakeSession

TOKYO = ZoneInfo("Asia/Tokyo")
TORONTO = ZoneInfo("America/Toronto")


async def test_goals_listed_oldest_first_and_filtered(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    async with uow() as s:
        first = await repo.add_goal(s, member_id=member.id, session_id=cs.id, text="Speak up")
        second = await repo.add_goal(s, member_id=member.id, session_id=None, text="Rest")
        assert (first.status, second.session_id) == ("active", None)
        second.status = "achieved"
    async with uow() as s:
        assert [g.text for g in await repo.list_goals(s, member.id)] == ["Speak up", "Rest"]
        assert [g.id for g in await repo.list_goals(s, member.id, "achieved")] == [second.id]
        assert await repo.list_goals(s, member.id, "dropped") == []


async def test_commitments_keep_due_dates_and_filter_by_status(
    uow: UnitOfWork, member: Member
) -> None:
    async with uow() as s:
        booked = await repo.add_commitment(
            s, member_id=member.id, session_id=None, text="Book 1:1s", due_date=date(2025, 6, 30)
        )
        await repo.add_commitment(
            s, member_id=member.id, session_id=None, text="Ask for feedback", due_date=None
        )
        booked.status = "partly"
        booked.outcome_note = "Booked two of five"
    async with uow() as s:
        every = await repo.list_commitments(s, member.id)
        assert [(c.text, c.due_date, c.status) for c in every] == [
            ("Book 1:1s", date(2025, 6, 30), "partly"),
            ("Ask for feedback", None, "open"),
        ]
        assert [c.text for c in await repo.list_commitments(s, member.id, "open")] == [
            "Ask for feedback"
        ]
        assert every[0].outcome_note == "Booked two of five"
        assert every[0].completed_at is None
        assert every[0].created_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Goal, {"text": "x", "status": "maybe"}),
        (Commitment, {"text": "x", "status": "later"}),
    ],
)
async def test_status_values_are_checked(
    uow: UnitOfWork, member: Member, model: type[Goal] | type[Commitment], fields: dict[str, str]
) -> None:
    with pytest.raises(IntegrityError):
        async with uow() as s:
            s.add(model(member_id=member.id, **fields))


async def test_same_week_keeps_the_latest_score(uow: UnitOfWork, member: Member) -> None:
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=TORONTO)
    async with uow() as s:
        first = await repo.record_stress_score(
            s, member_id=member.id, session_id=None, score=8, at=monday
        )
    async with uow() as s:
        later = await repo.record_stress_score(
            s, member_id=member.id, session_id=None, score=5, at=monday + timedelta(days=6)
        )
        assert later.id == first.id
        assert (later.score, later.iso_year, later.iso_week) == (5, 2025, 10)
    async with uow() as s:
        history = await repo.stress_history(s, member.id)
    assert [(h.score, h.recorded_at) for h in history] == [(5, monday + timedelta(days=6))]
    assert history[0].recorded_at.tzinfo is UTC


async def test_an_older_answer_does_not_overwrite_a_newer_one(
    uow: UnitOfWork, member: Member
) -> None:
    friday = datetime(2025, 3, 7, 20, 0, tzinfo=TORONTO)
    async with uow() as s:
        await repo.record_stress_score(s, member_id=member.id, session_id=None, score=3, at=friday)
        kept = await repo.record_stress_score(
            s, member_id=member.id, session_id=None, score=9, at=friday - timedelta(days=2)
        )
        assert (kept.score, kept.recorded_at) == (3, friday)


async def test_different_weeks_are_all_kept(uow: UnitOfWork, member: Member) -> None:
    start = datetime(2024, 12, 16, 12, 0, tzinfo=TORONTO)
    async with uow() as s:
        for week in range(5):
            await repo.record_stress_score(
                s,
                member_id=member.id,
                session_id=None,
                score=week,
                at=start + timedelta(weeks=week),
            )
    async with uow() as s:
        history = await repo.stress_history(s, member.id)
        assert [(h.iso_year, h.iso_week, h.score) for h in history] == [
            (2024, 51, 0),
            (2024, 52, 1),
            (2025, 1, 2),  # Monday 30 December 2024 starts ISO week 1 of 2025
            (2025, 2, 3),
            (2025, 3, 4),
        ]
        recent = await repo.stress_history(s, member.id, limit=2)
        assert [h.score for h in recent] == [3, 4]


async def test_week_comes_from_the_members_local_date(uow: UnitOfWork, member: Member) -> None:
    # Monday 01:00 in Tokyo is still Sunday in UTC: the member's week is the new one.
    local = datetime(2025, 3, 10, 1, 0, tzinfo=TOKYO)
    assert local.astimezone(UTC).isocalendar().week == 10
    async with uow() as s:
        score = await repo.record_stress_score(
            s, member_id=member.id, session_id=None, score=4, at=local
        )
    assert (score.iso_year, score.iso_week) == (2025, 11)
    assert score.recorded_at == datetime(2025, 3, 9, 16, 0, tzinfo=UTC)


async def test_scores_are_per_member(uow: UnitOfWork, make_member: MakeMember) -> None:
    ada, bo = await make_member(user_id=1), await make_member(user_id=2)
    at = datetime(2025, 3, 5, 12, 0, tzinfo=TORONTO)
    async with uow() as s:
        await repo.record_stress_score(s, member_id=ada.id, session_id=None, score=2, at=at)
        await repo.record_stress_score(s, member_id=bo.id, session_id=None, score=7, at=at)
    async with uow() as s:
        assert [h.score for h in await repo.stress_history(s, ada.id)] == [2]
        assert [h.score for h in await repo.stress_history(s, bo.id)] == [7]


@pytest.mark.parametrize(
    ("score", "at", "message"),
    [
        (11, datetime(2025, 3, 5, 12, 0, tzinfo=TOKYO), "outside"),
        (-1, datetime(2025, 3, 5, 12, 0, tzinfo=TOKYO), "outside"),
        (5, datetime(2025, 3, 5, 12, 0), "aware"),  # noqa: DTZ001
    ],
)
async def test_bad_scores_are_refused(
    uow: UnitOfWork, member: Member, score: int, at: datetime, message: str
) -> None:
    async with uow() as s:
        with pytest.raises(ValueError, match=message):
            await repo.record_stress_score(
                s, member_id=member.id, session_id=None, score=score, at=at
            )


async def test_score_range_is_checked_by_the_database(uow: UnitOfWork, member: Member) -> None:
    with pytest.raises(IntegrityError):
        async with uow() as s:
            s.add(
                StressScore(
                    member_id=member.id,
                    iso_year=2025,
                    iso_week=10,
                    score=12,
                    recorded_at=datetime(2025, 3, 5, tzinfo=UTC),
                )
            )
