"""Database fixtures for any test: a migrated SQLite file and a session factory on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade
from bot.db.uow import UnitOfWork

MakeDbUrl = Callable[..., Awaitable[str]]
# The newest migration; a new revision updates it here and nowhere else.
MIGRATION_HEAD = "0004"


def sqlite_url(path: Path) -> str:
    """Return the async SQLite URL of a database file."""
    return f"sqlite+aiosqlite:///{path.as_posix()}"


@pytest.fixture
def make_db_url(tmp_path: Path) -> MakeDbUrl:
    """Return a factory of SQLite files in tmp_path, each migrated to head (or `revision`)."""

    async def make(name: str = "mentorbot", revision: str = "head") -> str:
        url = sqlite_url(tmp_path / "db" / f"{name}.db")
        await upgrade(url, revision)
        return url

    return make


@pytest.fixture
async def db_url(make_db_url: MakeDbUrl) -> str:
    """Return the URL of a fresh SQLite file migrated to head."""
    return await make_db_url()


@pytest.fixture
async def db_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """Yield an engine on the migrated database and dispose of it afterwards."""
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory services are built with."""
    return create_sessionmaker(db_engine)


@pytest.fixture
def uow(sessionmaker: async_sessionmaker[AsyncSession]) -> UnitOfWork:
    """Return a unit-of-work factory on the test database."""
    return UnitOfWork(sessionmaker)
