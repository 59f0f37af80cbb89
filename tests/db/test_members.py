"""Members: race-safe upsert, lookups, and deletion that leaves nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.base import Base
from bot.db.models import NO_GUILD, CoachingSession, Commitment, Goal, Member, StressScore, Turn
from bot.db.uow import UnitOfWork
from tests.db.conftest import MakeMember, MakeSession

CountRows = Callable[[type[Base]], Awaitable[int]]


async def test_get_or_create_is_idempotent(uow: UnitOfWork, count_rows: CountRows) -> None:
    async with uow() as s:
        first = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Ada")
    async with uow() as s:
        again = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Ada")
    assert again.id == first.id
    assert await count_rows(Member) == 1
    assert first.share_progress is False
    assert first.share_transcripts is False
    assert first.timezone is None
    assert first.dm_channel_id is None


async def test_display_name_follows_discord(uow: UnitOfWork) -> None:
    async with uow() as s:
        created = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Ada")
    async with uow() as s:
        renamed = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Ada L.")
    assert renamed.id == created.id
    assert renamed.updated_at >= created.updated_at
    async with uow() as s:
        found = await repo.get_member(s, created.id)
        assert found is not None
        assert found.display_name == "Ada L."


async def test_same_user_in_two_guilds_and_in_dms(uow: UnitOfWork) -> None:
    snowflake = 2**62 + 12345  # snowflakes need 64 bits
    async with uow() as s:
        ids = {
            (await repo.get_or_create_member(s, guild_id=g, user_id=snowflake, display_name="A")).id
            for g in (NO_GUILD, 1, 2**61)
        }
    assert len(ids) == 3
    async with uow() as s:
        dm = await repo.find_member(s, guild_id=NO_GUILD, user_id=snowflake)
        assert dm is not None
        assert dm.user_id == snowflake
        assert await repo.find_member(s, guild_id=3, user_id=snowflake) is None
        assert await repo.get_member(s, 10_000) is None


async def test_twenty_concurrent_calls_make_one_member(
    sessionmaker: async_sessionmaker[AsyncSession],
    count_rows: CountRows,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hold callers after their first lookup so that ten at a time all miss and all insert.
    # Groups of ten never wait on the engine's pool (fifteen connections) to let them go.
    barrier = asyncio.Barrier(10)
    looked: set[asyncio.Task[Any] | None] = set()
    real_find = repo.find_member

    async def find_then_wait(s: AsyncSession, **key: int) -> Member | None:
        found = await real_find(s, **key)
        if asyncio.current_task() not in looked:
            looked.add(asyncio.current_task())
            await barrier.wait()
        return found

    monkeypatch.setattr(repo, "find_member", find_then_wait)

    async def interaction() -> int:
        # Plain sessions, not units of work: those queue on SQLite, and this test is about
        # the upsert holding when several writers (processes, PostgreSQL) do race.
        async with sessionmaker() as s:
            member = await repo.get_or_create_member(s, guild_id=7, user_id=8, display_name="Rush")
            await s.commit()
            return member.id

    ids = await asyncio.gather(*(interaction() for _ in range(20)))
    assert len(looked) == 20
    assert len(set(ids)) == 1
    assert await count_rows(Member) == 1


async def test_unique_guild_user_is_enforced(uow: UnitOfWork, member: Member) -> None:
    with pytest.raises(IntegrityError):
        async with uow() as s:
            s.add(Member(guild_id=member.guild_id, user_id=member.user_id, display_name="Dup"))


async def test_deleting_a_member_cascades_to_everything(
    uow: UnitOfWork, make_member: MakeMember, make_session: MakeSession, count_rows: CountRows
) -> None:
    gone = await make_member(user_id=1)
    kept = await make_member(user_id=2)
    for owner in (gone, kept):
        cs = await make_session(owner.id)
        async with uow() as s:
            await repo.add_turn(
                s, session_id=cs.id, role="member", kind="message", text="hi", stage_id="goal"
            )
            await repo.add_goal(s, member_id=owner.id, session_id=cs.id, text="Lead well")
            await repo.add_commitment(
                s, member_id=owner.id, session_id=cs.id, text="Book 1:1s", due_date=date(2025, 5, 2)
            )
            await repo.record_stress_score(
                s,
                member_id=owner.id,
                session_id=cs.id,
                score=6,
                at=datetime(2025, 5, 1, 18, 0, tzinfo=ZoneInfo("America/Toronto")),
            )

    async with uow() as s:
        assert await repo.delete_member(s, gone.id) is True
    async with uow() as s:
        assert await repo.delete_member(s, gone.id) is False

    for model in (Member, CoachingSession, Turn, Goal, Commitment, StressScore):
        assert await count_rows(model) == 1, model.__tablename__
    async with uow() as s:
        assert await repo.get_member(s, kept.id) is not None
        assert len(await repo.sessions_for_member(s, kept.id)) == 1


async def test_deleting_a_session_keeps_goals_and_scores(
    uow: UnitOfWork, member: Member, make_session: MakeSession
) -> None:
    cs = await make_session(member.id)
    async with uow() as s:
        goal = await repo.add_goal(s, member_id=member.id, session_id=cs.id, text="Sleep more")
        await repo.record_stress_score(
            s,
            member_id=member.id,
            session_id=cs.id,
            score=4,
            at=datetime(2025, 5, 1, 18, 0, tzinfo=ZoneInfo("Europe/Paris")),
        )
    async with uow() as s:
        found = await repo.get_session(s, cs.id)
        assert found is not None
        await s.delete(found)
    async with uow() as s:
        goals = await repo.list_goals(s, member.id)
        assert [(g.id, g.session_id) for g in goals] == [(goal.id, None)]
        assert [h.session_id for h in await repo.stress_history(s, member.id)] == [None]
        assert await repo.session_turns(s, cs.id) == []


async def test_ids_are_not_reused_after_deletion(
    uow: UnitOfWork, make_member: MakeMember, make_session: MakeSession
) -> None:
    # Buttons carry session ids in their custom_id; a recycled id would reach a stranger.
    first = await make_member(user_id=1)
    old = await make_session(first.id)
    async with uow() as s:
        await repo.delete_member(s, first.id)
    second = await make_member(user_id=2)
    new = await make_session(second.id)
    assert second.id > first.id
    assert new.id > old.id
