"""One transaction per interaction or job: commit on success, roll back on error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Yield a session whose work is committed on success and rolled back on error."""
    async with sessionmaker() as session:
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
