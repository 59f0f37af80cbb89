"""A unit of work commits on success and rolls back on any error."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.uow import UnitOfWork, unit_of_work
from tests.fixtures_db import postgresql_only, sqlite_only


async def test_success_commits(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessionmaker) as s:
        await repo.get_or_create_member(s, guild_id=5, user_id=6, display_name="Lin")
    async with sessionmaker() as s:
        assert await repo.find_member(s, guild_id=5, user_id=6) is not None


async def test_error_rolls_back(uow: UnitOfWork) -> None:
    async def failing_interaction() -> None:
        async with uow() as s:
            await repo.get_or_create_member(s, guild_id=5, user_id=6, display_name="Lin")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_interaction()
    async with uow() as s:
        assert await repo.find_member(s, guild_id=5, user_id=6) is None


async def test_cancellation_rolls_back(uow: UnitOfWork) -> None:
    started = asyncio.Event()

    async def interaction() -> None:
        async with uow() as s:
            await repo.get_or_create_member(s, guild_id=5, user_id=6, display_name="Lin")
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(interaction())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with uow() as s:
        assert await repo.find_member(s, guild_id=5, user_id=6) is None


async def test_objects_stay_readable_after_commit(uow: UnitOfWork) -> None:
    async with uow() as s:
        member = await repo.get_or_create_member(s, guild_id=5, user_id=6, display_name="Lin")
    # expire_on_commit=False: no lazy refresh (which would fail outside the session).
    assert member.display_name == "Lin"
    assert member.share_progress is False
    assert member.created_at.tzinfo is not None


async def test_each_unit_gets_its_own_session(uow: UnitOfWork) -> None:
    async with uow() as first:
        pass
    async with uow() as second:
        assert first is not second


@sqlite_only("the write gate stands in for SQLite's single writer")
async def test_units_of_work_on_sqlite_take_turns(uow: UnitOfWork) -> None:
    """The second waits for the first to commit instead of meeting SQLite's busy lock."""
    import asyncio

    order: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with uow():
            order.append("first in")
            first_inside.set()
            await asyncio.sleep(0.05)
            order.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with uow():
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]


@postgresql_only("PostgreSQL has row locks, so units of work need no gate")
async def test_units_of_work_on_postgresql_overlap(uow: UnitOfWork) -> None:
    """Two units of work are open at once; each commits its own row."""
    order: list[str] = []
    first_inside = asyncio.Event()
    second_done = asyncio.Event()

    async def first() -> None:
        async with uow() as s:
            await repo.get_or_create_member(s, guild_id=5, user_id=1, display_name="One")
            order.append("first in")
            first_inside.set()
            await asyncio.wait_for(second_done.wait(), 5)
            order.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with uow() as s:
            await repo.get_or_create_member(s, guild_id=5, user_id=2, display_name="Two")
            order.append("second in")
        second_done.set()

    await asyncio.gather(first(), second())
    assert order == ["first in", "second in", "first out"]
    async with uow.sessionmaker() as s:
        assert await repo.find_member(s, guild_id=5, user_id=1) is not None
        assert await repo.find_member(s, guild_id=5, user_id=2) is not None
