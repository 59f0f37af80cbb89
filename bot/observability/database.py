"""The database probe: a fresh connection and one small read, for SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.engine import BUSY_TIMEOUT_MS, sqlite_file
from bot.observability.health import Check

SQLITE_QUERY = "SELECT count(*) FROM sqlite_master"
SERVER_QUERY = "SELECT 1"


def probe_url(url: str | URL) -> URL | None:
    """The URL the probe opens, or None when only the bot's own engine can reach the data.

    A SQLite file is opened read-only through a URI, so a probe of a missing file fails
    instead of creating an empty database where the real one used to be.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return parsed
    path = sqlite_file(parsed)
    if path is None:
        return None  # in memory: a new connection would see a different, empty database
    return URL.create(
        parsed.drivername,
        database=path.absolute().as_uri(),
        query={"mode": "ro", "uri": "true"},
    )


class DatabaseProbe:
    """Open a new connection for every probe (no pool): a pooled one can outlive the database.

    The probe reads the schema table on SQLite (a bare `SELECT 1` never touches the file)
    and runs `SELECT 1` on a server. Callers bound the time it may take.
    """

    def __init__(self, url: str | URL, *, fallback: AsyncEngine | None = None) -> None:
        target = probe_url(url)
        if target is None and fallback is None:
            raise ValueError("an in-memory SQLite database can only be probed through its engine")
        self._own = target is not None
        if target is not None:
            sqlite = target.get_backend_name() == "sqlite"
            args = {"timeout": BUSY_TIMEOUT_MS / 1000} if sqlite else {}
            self._engine = create_async_engine(target, poolclass=NullPool, connect_args=args)
        else:
            assert fallback is not None
            self._engine = fallback
        self._query = text(SQLITE_QUERY if self._engine.dialect.name == "sqlite" else SERVER_QUERY)

    async def __call__(self) -> Check:
        """Connect, read, and say how long it took."""
        started = time.perf_counter()
        async with self._engine.connect() as conn:
            await conn.execute(self._query)
        took = (time.perf_counter() - started) * 1000
        return Check(True, f"reachable ({self._engine.dialect.name}, {took:.0f} ms)")

    async def close(self) -> None:
        """Release the probe's engine (never the bot's own)."""
        if self._own:
            await self._engine.dispose()
