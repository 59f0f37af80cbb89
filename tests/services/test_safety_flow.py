"""The safety screen inside conversations: the reply, the pause, the stored event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SafetyEvent, Turn
from bot.domain.contract import Exchange, check_exchange
from bot.domain.frameworks import Catalogue
from bot.domain.safety import CRISIS_DEFAULT_RESOURCES
from bot.domain.state import ReplyKind
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, MemberRef
from tests.conversations import SCRIPTS

ALEX = MemberRef(guild_id=1, user_id=2, display_name="Alex")
CRISIS = "honestly i dont want to be here anymore, i have been thinking about ending it"


@pytest.fixture
def service(sessionmaker: async_sessionmaker[AsyncSession]) -> CoachingService:
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return CoachingService(sessionmaker, Catalogue.load(), clock=clock)


async def test_a_flagged_message_gets_the_safety_reply_only_and_pauses(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    turn = await service.start(ALEX, "stress_debrief")
    turn = await service.reply(turn.session_id, ALEX.user_id, "7")
    flagged = await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    assert flagged.safety
    assert [r.kind for r in flagged.replies] == [ReplyKind.SAFETY]
    assert CRISIS_DEFAULT_RESOURCES in flagged.text
    assert "not an emergency service" in flagged.text
    assert "mentor" not in flagged.text  # no alert can reach a mentor yet, so none is promised
    assert flagged.status == "paused"
    assert check_exchange(Exchange(CRISIS, flagged.replies)) == []
    async with sessionmaker() as s:
        (event,) = (await s.execute(select(SafetyEvent))).scalars()
        stored = {t.text for t in (await s.execute(select(Turn))).scalars()}
    assert event.concerns == "suicide"
    assert "ending it" not in event.rules
    assert CRISIS in stored  # the member's own transcript keeps their words; the event does not


async def test_after_the_pause_the_next_message_reopens_without_taking_an_answer(
    service: CoachingService,
) -> None:
    turn = await service.start(ALEX, "grow")
    asked = turn.replies[-1].text
    await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    back = await service.reply(turn.session_id, ALEX.user_id, "I'm fine, really")
    assert back.status == "active"
    assert back.stage_id == "goal"
    assert back.replies[-1].text == asked
    assert not back.safety
    done = await service.reply(turn.session_id, ALEX.user_id, SCRIPTS["grow"][0])
    assert done.stage_id == "reality"


async def test_end_still_ends_while_paused_for_safety(service: CoachingService) -> None:
    turn = await service.start(ALEX, "grow")
    await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    ended = await service.reply(turn.session_id, ALEX.user_id, "end")
    assert ended.status == "ended"


async def test_a_flagged_topic_starts_with_the_safety_reply(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    turn = await service.start(ALEX, "grow", topic="i want to die")
    assert turn.safety
    assert [r.kind for r in turn.replies] == [ReplyKind.SAFETY]
    assert turn.status == "paused"
    async with sessionmaker() as s:
        assert len(list((await s.execute(select(SafetyEvent))).scalars())) == 1


async def test_everyday_idioms_keep_the_coaching_going(service: CoachingService) -> None:
    turn = await service.start(ALEX, "grow")
    turn = await service.reply(
        turn.session_id, ALEX.user_id, "this deadline is killing me but I want the promotion"
    )
    assert not turn.safety
    assert turn.stage_id == "reality"


def test_the_contract_refuses_a_safety_reply_mixed_with_coaching() -> None:
    from bot.domain.state import Reply

    mixed = [Reply(ReplyKind.SAFETY, "..."), Reply(ReplyKind.QUESTION, "What else?")]
    assert [v.rule for v in check_exchange(Exchange(CRISIS, mixed))] == ["T6"]
