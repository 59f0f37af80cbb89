"""Coaching sessions: state round-trips, saving, open-session lookups and turns."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import selectinload

from bot.db import repositories as repo
from bot.db.models import CoachingSession, Member
from bot.db.uow import UnitOfWork
from tests.db.conftest import MakeSession

NESTED_STATE: dict[str, Any] = {
    "stage_id": "reality",
    "status": "active",
    "answers": {"goal": {"text": "Run calmer stand-ups", "scale": 7}, "reality": None},
    "history": [{"stage": "goal", "asked": ["What would change?", "¿Y qué más?"]}],
    "flags": {"safety": False, "asked_count": 3, "ratio": 0.5},
    "emoji": "🌱",
}


async def test_nested_state_round_trips(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id, state=copy.deepcopy(NESTED_STATE), channel_id=2**60)
    async with uow() as s:
        found = await repo.get_session(s, cs.id)
    assert found is not None
    assert found is not cs
    assert found.state == NESTED_STATE
    assert (found.status, found.stage_id, found.framework_version) == ("active", "goal", 1)
    assert found.channel_id == 2**60
    assert found.ended_at is None


async def test_save_persists_a_state_mutated_in_place(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id, state={"answers": {}})
    async with uow() as s:
        loaded = await repo.get_session(s, cs.id)
        assert loaded is not None
        # The engine may hand back the same dict object after changing it.
        state = loaded.state
        state["answers"]["goal"] = "delegate more"
        await repo.save_session(s, loaded, state=state, stage_id="reality", status="paused")
    async with uow() as s:
        found = await repo.get_session(s, cs.id)
    assert found is not None
    assert found.state == {"answers": {"goal": "delegate more"}}
    assert (found.stage_id, found.status, found.ended_at) == ("reality", "paused", None)
    assert found.updated_at > cs.updated_at


@pytest.mark.parametrize("status", ["done", "ended"])
async def test_closing_sets_ended_at_and_reopening_clears_it(
    uow: UnitOfWork, member: Member, make_session: MakeSession, status: str
) -> None:
    cs = await make_session(member.id)
    async with uow() as s:
        await repo.save_session(s, cs, state={"x": 1}, stage_id="wrap", status=status)
    async with uow() as s:
        closed = await repo.get_session(s, cs.id)
        assert closed is not None
        assert closed.ended_at is not None
        assert closed.ended_at.tzinfo is not None
        assert closed.ended_at >= closed.started_at
        assert await repo.open_sessions(s, member.id) == []
        await repo.save_session(s, closed, state={"x": 2}, stage_id="wrap", status="active")
        assert closed.ended_at is None


async def test_unknown_status_is_refused(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    async with uow() as s:
        with pytest.raises(ValueError, match="status"):
            await repo.save_session(s, cs, state={}, stage_id="goal", status="finished")

    async def write_status_directly() -> None:
        async with uow() as s:
            found = await repo.get_session(s, cs.id)
            assert found is not None
            found.status = "finished"  # bypasses the function: the CHECK constraint catches it

    with pytest.raises(IntegrityError):
        await write_status_directly()


async def test_open_sessions_newest_activity_first(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    grow = await make_session(member.id, "grow")
    debrief = await make_session(member.id, "stress_debrief")
    done = await make_session(member.id, "star_story")
    async with uow() as s:
        await repo.save_session(s, done, state={}, stage_id="end", status="done")
        await repo.save_session(s, debrief, state={}, stage_id="mid", status="paused")
    async with uow() as s:
        # grow was touched last, after debrief was paused.
        await repo.save_session(s, grow, state={}, stage_id="options", status="active")
    async with uow() as s:
        assert [c.id for c in await repo.open_sessions(s, member.id)] == [grow.id, debrief.id]
        latest = await repo.latest_open_session(s, member.id)
        assert latest is not None
        assert latest.id == grow.id
        paused = await repo.latest_open_session(s, member.id, "stress_debrief")
        assert paused is not None
        assert paused.id == debrief.id
        assert await repo.latest_open_session(s, member.id, "star_story") is None
        every = await repo.sessions_for_member(s, member.id)
        assert [c.id for c in every] == [done.id, debrief.id, grow.id]
        assert await repo.open_sessions(s, member.id + 1) == []


async def test_member_relationship_never_lazy_loads(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    async with uow() as s:
        plain = await repo.get_session(s, cs.id)
        assert plain is not None
        with pytest.raises(InvalidRequestError):
            _ = plain.member
    async with uow() as s:
        stmt = (
            select(CoachingSession)
            .where(CoachingSession.id == cs.id)
            .options(selectinload(CoachingSession.member))
            .execution_options(populate_existing=True)
        )
        loaded = (await s.execute(stmt)).scalar_one()
        assert loaded.member.display_name == member.display_name


async def test_turns_keep_their_order(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    script = [
        ("coach", "question", "What would you like to work on?", "goal"),
        ("member", "message", "My first team meeting.", "goal"),
        ("coach", "reflection", "A first meeting matters to you.", "goal"),
        ("coach", "notice", "Session paused.", None),
    ]
    async with uow() as s:
        for role, kind, said, stage in script:
            turn = await repo.add_turn(
                s, session_id=cs.id, role=role, kind=kind, text=said, stage_id=stage
            )
            assert turn.id is not None
            assert turn.created_at.tzinfo is not None
    async with uow() as s:
        turns = await repo.session_turns(s, cs.id)
    assert [(t.role, t.kind, t.text, t.stage_id) for t in turns] == script


async def test_turn_role_is_checked(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    with pytest.raises(IntegrityError):
        async with uow() as s:
            await repo.add_turn(
                s, session_id=cs.id, role="mentor", kind="message", text="hi", stage_id=None
            )


async def test_turn_needs_an_existing_session(uow: UnitOfWork) -> None:
    with pytest.raises(IntegrityError):
        async with uow() as s:
            await repo.add_turn(
                s, session_id=404, role="coach", kind="message", text="hi", stage_id=None
            )


async def test_save_accepts_a_session_from_an_earlier_unit(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)  # its unit of work is closed: the object is detached
    async with uow() as s:
        await repo.save_session(s, cs, state={"moved": True}, stage_id="will", status="active")
    async with uow() as s:
        found = await repo.get_session(s, cs.id)
        assert found is not None
        assert (found.state, found.stage_id) == ({"moved": True}, "will")
