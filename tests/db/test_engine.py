"""SQLite connections get WAL, a busy timeout and foreign keys; sessions survive restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import repositories as repo
from bot.db.engine import (
    BUSY_TIMEOUT_MS,
    create_engine,
    create_sessionmaker,
    ensure_sqlite_folder,
    sqlite_file,
)
from bot.db.uow import unit_of_work
from tests.db.conftest import MakeMember
from tests.fixtures_db import sqlite_only, sqlite_url

PRAGMAS = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")


async def read_pragmas(engine: AsyncEngine) -> dict[str, object]:
    """Read the connection-level PRAGMAs of one pooled connection."""
    async with engine.connect() as connection:
        return {
            name: (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in PRAGMAS
        }


@sqlite_only("PRAGMAs are SQLite's per-connection settings")
async def test_every_connection_gets_the_pragmas(db_engine: AsyncEngine) -> None:
    # Hold two connections at once so the pool must open a second one.
    async with db_engine.connect() as first, db_engine.connect() as second:
        for connection in (first, second):
            values = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in PRAGMAS
            }
            assert values == {
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": BUSY_TIMEOUT_MS,
                "synchronous": 1,  # NORMAL
            }


@sqlite_only("PostgreSQL always enforces foreign keys; there is no switch")
async def test_migration_engine_turns_foreign_keys_off(db_url: str) -> None:
    engine = create_engine(db_url, foreign_keys=False)
    try:
        assert (await read_pragmas(engine))["foreign_keys"] == 0
    finally:
        await engine.dispose()


async def test_engine_creates_the_database_folder(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "a" / "b" / "bot.db")
    engine = create_engine(url)
    try:
        assert (await read_pragmas(engine))["journal_mode"] == "wal"
    finally:
        await engine.dispose()
    assert (tmp_path / "a" / "b" / "bot.db").is_file()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:shared?mode=memory&uri=true",
        "postgresql+asyncpg://user:pw@localhost/bot",
    ],
)
def test_no_file_for_memory_or_server_databases(url: str) -> None:
    assert sqlite_file(url) is None
    ensure_sqlite_folder(url)  # nothing to create, nothing raised


def test_relative_sqlite_path_is_kept_relative() -> None:
    assert sqlite_file("sqlite+aiosqlite:///data/mentorbot.db") == Path("data/mentorbot.db")


async def test_session_survives_a_restart(db_url: str) -> None:
    state = {"stage": "options", "answers": {"goal": "lead my first 1:1", "scale": [3, 7]}}

    first = create_engine(db_url)
    try:
        async with unit_of_work(create_sessionmaker(first)) as s:
            member = await repo.get_or_create_member(s, guild_id=1, user_id=2, display_name="Grace")
            cs = await repo.create_session(
                s,
                member_id=member.id,
                framework_id="grow",
                framework_version=2,
                topic=None,
                stage_id="options",
                state=state,
                channel_id=998877665544332211,
            )
            await repo.add_turn(
                s, session_id=cs.id, role="coach", kind="question", text="What else?", stage_id=None
            )
            session_id = cs.id
    finally:
        await first.dispose()

    second = create_engine(db_url)
    try:
        async with create_sessionmaker(second)() as s:
            found = await repo.get_session(s, session_id)
            assert found is not None
            assert found.state == state
            assert found.channel_id == 998877665544332211
            assert [t.text for t in await repo.session_turns(s, session_id)] == ["What else?"]
            assert await repo.latest_open_session(s, found.member_id) == found
    finally:
        await second.dispose()


async def test_concurrent_writers_wait_instead_of_failing(make_member: MakeMember) -> None:
    # Twenty transactions insert at once; the busy timeout makes them queue, not fail.
    members = await asyncio.gather(*(make_member(user_id=n) for n in range(20)))
    assert len({m.id for m in members}) == 20
