"""Build the async engine and session factory for SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str | URL) -> bool:
    """Tell whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """Return the database file of a SQLite URL, or None for in-memory databases."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or parsed.query.get("mode") == "memory":
        # URI filenames carry their own syntax; leave them to SQLite.
        return None
    return Path(database)


def ensure_sqlite_folder(url: str | URL) -> None:
    """Create the folder of a SQLite database file; SQLite will not do it."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas(*, foreign_keys: bool = True) -> list[str]:
    """List the PRAGMA statements every SQLite connection runs when it opens."""
    return [
        # WAL lets the dashboard read while the bot writes.
        "PRAGMA journal_mode=WAL",
        # Wait for a competing writer (another task or process) instead of failing at once.
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        # SQLite ignores ON DELETE clauses unless this is on, per connection.
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
        # Safe with WAL (only the last commits can be lost on power failure) and much faster.
        "PRAGMA synchronous=NORMAL",
    ]


def _install_sqlite_pragmas(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """Run the PRAGMAs on every new DBAPI connection of the engine."""
    statements = sqlite_pragmas(foreign_keys=foreign_keys)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()


def create_engine(url: str, *, echo: bool = False, foreign_keys: bool = True) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, a busy timeout and foreign keys.

    `foreign_keys=False` is for migrations only: SQLite batch mode recreates tables, and
    with foreign keys on, dropping the old table would cascade-delete the child rows.
    """
    if is_sqlite(url):
        ensure_sqlite_folder(url)
        engine = create_async_engine(url, echo=echo)
        _install_sqlite_pragmas(engine, foreign_keys=foreign_keys)
        return engine
    connect_args: dict[str, Any] = {}
    if make_url(url).get_driver_name() == "asyncpg":
        # asyncpg reads type details with one large query per new connection; PostgreSQL's
        # JIT compiles it first, which costs ~0.5 s every time and gains nothing here.
        connect_args["server_settings"] = {"jit": "off"}
    # A long-lived bot outlives server-side idle timeouts; check connections before use.
    return create_async_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
