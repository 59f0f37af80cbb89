"""One transaction per interaction or job: commit on success, roll back on error."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_GATES: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def write_gate(sessionmaker: async_sessionmaker[AsyncSession]) -> AbstractAsyncContextManager[Any]:
    """One unit of work at a time per SQLite database in this process; none elsewhere.

    SQLite has a single writer. Waiting here, in order, beats every other connection
    sleeping in SQLite's busy handler and failing once its timeout runs out.
    """
    bind = sessionmaker.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    engine = bind.sync_engine
    gate = _GATES.get(engine)
    if gate is None:
        gate = _GATES[engine] = asyncio.Lock()
    return gate


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Yield a session whose work is committed on success and rolled back on error.

    Units of work must not nest: on SQLite the inner one would wait for the outer forever.
    """
    async with write_gate(sessionmaker), sessionmaker() as session:
        try:
            yield session
        except BaseException:
            # Cancellation counts too: a half-finished interaction must not be committed.
            await session.rollback()
            raise
        await session.commit()


class UnitOfWork:
    """Hand out units of work from one session factory; services hold one of these."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Keep the session factory to open sessions from."""
        self.sessionmaker = sessionmaker

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Open a unit of work: `async with uow() as session:`."""
        return unit_of_work(self.sessionmaker)
