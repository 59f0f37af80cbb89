"""The coaching service on a real SQLite file: every shipped framework, start to finish."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.engine import create_engine, create_sessionmaker
from bot.domain.contract import Exchange, score
from bot.domain.frameworks import SHIPPED, Catalogue
from bot.errors import NoOpenConversation, UnknownFramework
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, CoachTurn, MemberRef
from tests.conversations import EXPECTED, SCRIPTS

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ALEX = MemberRef(guild_id=1111, user_id=2222, display_name="Alex")


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> CoachingService:
    return CoachingService(sessionmaker, Catalogue.load(), clock=FixedClock(NOW))


async def converse(
    service: CoachingService, framework_id: str, answers: list[str], member: MemberRef = ALEX
) -> list[tuple[str | None, CoachTurn]]:
    """Hold a scripted conversation and return every (member message, coach turn)."""
    turn = await service.start(member, framework_id)
    log: list[tuple[str | None, CoachTurn]] = [(None, turn)]
    for answer in answers:
        assert not turn.done, f"{framework_id} finished before the script did"
        turn = await service.reply(turn.session_id, member.user_id, answer)
        log.append((answer, turn))
    return log


@pytest.mark.parametrize("framework_id", SHIPPED)
async def test_scripted_conversation_holds_the_contract_and_is_stored(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession], framework_id: str
) -> None:
    log = await converse(service, framework_id, SCRIPTS[framework_id])
    final = log[-1][1]
    assert final.done
    assert final.status == "done"

    report = score(Exchange(said, turn.replies) for said, turn in log)
    assert report.violations == []
    assert report.non_directive_share == 1.0
    assert report.open_share >= 0.8
    assert report.reflections_per_question >= 1.0

    goal, commitment_words = EXPECTED[framework_id]
    summary = final.replies[-1].text
    assert commitment_words in summary
    if goal is not None:
        assert goal in summary
    async with sessionmaker() as s:
        member = await repo.find_member(s, guild_id=ALEX.guild_id, user_id=ALEX.user_id)
        assert member is not None
        commitments = await repo.list_commitments(s, member.id)
        assert [c.status for c in commitments] == ["open"]
        assert commitment_words in commitments[0].text
        assert commitments[0].due_date is not None
        assert commitments[0].due_date >= date(2026, 11, 23)
        goals = await repo.list_goals(s, member.id)
        assert [g.text for g in goals] == ([goal] if goal else [])
        turns = await repo.session_turns(s, final.session_id)
        member_turns = [t.text for t in turns if t.role == "member"]
        assert member_turns == SCRIPTS[framework_id]


async def test_stress_score_is_kept_by_iso_week(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await converse(service, "stress_debrief", SCRIPTS["stress_debrief"])
    async with sessionmaker() as s:
        member = await repo.find_member(s, guild_id=ALEX.guild_id, user_id=ALEX.user_id)
        assert member is not None
        history = await repo.stress_history(s, member.id)
    assert [(h.iso_year, h.iso_week, h.score) for h in history] == [(2026, 48, 7)]


async def test_next_debrief_asks_about_last_weeks_action(service: CoachingService) -> None:
    await converse(service, "stress_debrief", SCRIPTS["stress_debrief"])
    turn = await service.start(ALEX, "stress_debrief")
    assert turn.stage_id == "last_action"
    assert "block two hours of focus time" in turn.text


async def test_conversation_survives_a_restart(db_url: str) -> None:
    catalogue = Catalogue.load()
    first_engine = create_engine(db_url)
    first = CoachingService(create_sessionmaker(first_engine), catalogue, clock=FixedClock(NOW))
    turn = await first.start(ALEX, "grow")
    turn = await first.reply(turn.session_id, ALEX.user_id, SCRIPTS["grow"][0])
    turn = await first.reply(turn.session_id, ALEX.user_id, "pause")
    assert turn.status == "paused"
    await first_engine.dispose()

    second_engine = create_engine(db_url)
    try:
        second = CoachingService(
            create_sessionmaker(second_engine), catalogue, clock=FixedClock(NOW)
        )
        open_one = await second.latest_open(ALEX, "grow")
        resumed = await second.resume(open_one.id, ALEX.user_id)
        assert resumed.stage_id == "reality"
        assert resumed.status == "active"
        log = [resumed]
        for answer in SCRIPTS["grow"][1:]:
            log.append(await second.reply(open_one.id, ALEX.user_id, answer))
        assert log[-1].done
        assert SCRIPTS["grow"][0] in log[-1].text
    finally:
        await second_engine.dispose()


async def test_another_members_session_is_not_found(service: CoachingService) -> None:
    turn = await service.start(ALEX, "grow")
    with pytest.raises(NoOpenConversation):
        await service.reply(turn.session_id, 9999, "hello there, this is not my session")


async def test_unknown_framework_is_a_member_facing_error(service: CoachingService) -> None:
    with pytest.raises(UnknownFramework, match="grow"):
        await service.start(ALEX, "nope")


async def test_latest_open_without_any_raises(service: CoachingService) -> None:
    with pytest.raises(NoOpenConversation):
        await service.latest_open(ALEX)


async def test_two_members_do_not_cross(service: CoachingService) -> None:
    sam = MemberRef(guild_id=1111, user_id=3333, display_name="Sam")
    a = await service.start(ALEX, "grow")
    b = await service.start(sam, "grow")
    a = await service.reply(
        a.session_id, ALEX.user_id, "I want to lead the platform team next year"
    )
    b = await service.reply(b.session_id, sam.user_id, "I want to pass my Amazon loop in January")
    assert "platform team" in a.text
    assert "Amazon loop" in b.text
    assert "Amazon" not in a.text


async def test_concurrent_messages_to_one_session_are_taken_in_turn(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    import asyncio

    turn = await service.start(ALEX, "grow")
    answers = SCRIPTS["grow"][:3]
    await asyncio.gather(*(service.reply(turn.session_id, ALEX.user_id, a) for a in answers))
    async with sessionmaker() as s:
        cs = await repo.get_session(s, turn.session_id)
        assert cs is not None
        member_turns = [
            t for t in await repo.session_turns(s, turn.session_id) if t.role == "member"
        ]
    assert len(member_turns) == 3
    assert cs.stage_id == "options"


async def test_starting_a_conversation_reopens_scheduled_dms(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from bot.db import outbox
    from bot.db.models import Member

    await service.start(ALEX, "grow")
    async with sessionmaker() as s:
        member = await repo.find_member(s, guild_id=ALEX.guild_id, user_id=ALEX.user_id)
        assert member is not None
        await outbox.mark_dms_closed(s, member.id, NOW)
        await s.commit()
    await service.start(ALEX, "feedback_sandwich")
    async with sessionmaker() as s:
        reloaded = await s.get(Member, member.id)
        assert reloaded is not None
        assert reloaded.dm_closed_at is None


async def test_the_newest_open_action_is_the_one_followed_up(service: CoachingService) -> None:
    await converse(service, "stress_debrief", SCRIPTS["stress_debrief"])
    second_week = [*SCRIPTS["stress_debrief"]]
    second_week[-1] = "I'll go for a run on Thursday evening"
    turn = await service.start(ALEX, "stress_debrief")
    for answer in ["it went fine, mostly", *second_week]:
        turn = await service.reply(turn.session_id, ALEX.user_id, answer)
    assert turn.done
    third = await service.start(ALEX, "stress_debrief")
    assert "go for a run" in third.text
