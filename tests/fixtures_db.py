"""Database fixtures for any test: a migrated database and a session factory on it.

Every test gets its own SQLite file, or, when TEST_DATABASE_URL names a PostgreSQL server, its
own database on that server: cloned from a template migrated once per run, and afterwards
emptied for a later test (when its schema is untouched) or dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import normalise_database_url
from bot.db.engine import create_engine, create_sessionmaker, sqlite_file
from bot.db.migrate import upgrade
from bot.db.models import Member
from bot.db.uow import UnitOfWork, write_gate

MakeDbUrl = Callable[..., Awaitable[str]]
T = TypeVar("T")
# The newest migration; a new revision updates it here and nowhere else.
MIGRATION_HEAD = "0005"

# A postgresql:// URL of a server the tests may create and drop databases on.
TEST_DATABASE_ENV = "TEST_DATABASE_URL"
# Databases this run creates; the pid keeps two runs on one server apart.
_PREFIX = f"mbt_{os.getpid()}_"
_TEMPLATE = f"{_PREFIX}template"


def sqlite_url(path: Path) -> str:
    """Return the async SQLite URL of a database file."""
    return f"sqlite+aiosqlite:///{path.as_posix()}"


def _server_from_env() -> URL | None:
    """Read the PostgreSQL server the tests run on, or None for SQLite."""
    raw = os.environ.get(TEST_DATABASE_ENV, "").strip()
    if not raw:
        return None
    url = make_url(normalise_database_url(raw))
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"{TEST_DATABASE_ENV} must be a postgresql:// URL, not {raw!r}")
    return url


SERVER = _server_from_env()


def on_postgresql() -> bool:
    """Tell whether this run's databases live on PostgreSQL."""
    return SERVER is not None


def _blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on a private event loop, from sync or async code alike."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make()).result()


def _dsn(url: URL) -> str:
    """Render a URL for asyncpg itself, password included."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _database_url(name: str) -> str:
    """The SQLAlchemy URL of one database on the test server."""
    assert SERVER is not None
    return SERVER.set(database=name).render_as_string(hide_password=False)


async def _connect(database: str | None = None) -> Any:
    """Open a plain asyncpg connection to a database of the test server."""
    import asyncpg

    assert SERVER is not None
    url = SERVER if database is None else SERVER.set(database=database)
    return await asyncpg.connect(_dsn(url))


async def _admin(*statements: str) -> None:
    """Run statements on the server's maintenance database, outside any transaction."""
    import asyncpg

    connection = await _connect()
    try:
        for statement in statements:
            # CREATE DATABASE ... TEMPLATE fails while the template still has a session (a
            # pool's connection closes a moment after dispose() returns); that passes.
            for attempt in itertools.count():
                try:
                    await connection.execute(statement)
                    break
                except asyncpg.ObjectInUseError:
                    if attempt >= 50:
                        raise
                    await asyncio.sleep(0.02)
    finally:
        await connection.close()


# Everything about the public schema that a test could change: tables, columns, constraints,
# indexes, and the migration the database is at.
_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, '|' ORDER BY item)) FROM (
    SELECT concat_ws(':', table_name, column_name, data_type, is_nullable, column_default)
        FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT concat_ws(':', conrelid::regclass::text, conname, pg_get_constraintdef(oid))
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT version_num FROM alembic_version
) AS schema(item)
"""
_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


async def _fingerprint(connection: Any) -> str | None:
    """Describe a database's schema in one string, or None if it has no migration table."""
    import asyncpg

    try:
        return await connection.fetchval(_SCHEMA_FINGERPRINT)  # type: ignore[no-any-return]
    except asyncpg.UndefinedTableError:
        return None


class _Databases:
    """The databases of this run on the test server, and which test made which.

    Creating a database costs 0.1-0.5 s, so a database a test leaves at the template's schema
    is emptied (rows deleted, id sequences restarted) and handed to a later test instead.
    """

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.template: str | None = None  # the template's schema fingerprint once it exists
        self.reusable = False  # only when the template holds no rows to restore
        self.made_by_test: list[str] = []
        self.clean: list[str] = []
        self.by_folder: dict[Path, str] = {}

    async def create(self, revision: str = "head", label: str = "db") -> str:
        """Create a database at `revision` and return its URL; "empty" has no tables."""
        if revision == "head":
            await self._ensure_template()
            if self.clean:
                name = self.clean.pop()
            else:
                name = self._new_name(label)
                await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
        else:
            name = self._new_name(label)
            await _admin(f'CREATE DATABASE "{name}"')
        self.made_by_test.append(name)
        url = _database_url(name)
        if revision not in ("head", "empty"):
            await upgrade(url, revision)
        return url

    def _new_name(self, label: str) -> str:
        return f"{_PREFIX}{next(self.counter)}_{label}"[:63]

    async def _ensure_template(self) -> None:
        if self.template is not None:
            return
        await _admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"', f'CREATE DATABASE "{_TEMPLATE}"')
        await upgrade(_database_url(_TEMPLATE), "head")
        connection = await _connect(_TEMPLATE)
        try:
            self.template = await _fingerprint(connection)
            tables = [row[0] for row in await connection.fetch(_TABLES)]
            counts = [
                await connection.fetchval(f'SELECT count(*) FROM "{table}"')
                for table in tables
                if table != "alembic_version"
            ]
        finally:
            await connection.close()
        # A migration that seeds rows would need them restored on reuse: clone instead.
        self.reusable = not any(counts)

    async def _empty_if_untouched(self, name: str) -> bool:
        """Empty a database whose schema is still the template's; tell whether it was."""
        connection = await _connect(name)
        try:
            if await _fingerprint(connection) != self.template:
                return False
            tables = [row[0] for row in await connection.fetch(_TABLES)]
            async with connection.transaction():
                # Foreign keys are triggers; replica mode skips them, so any order works.
                await connection.execute("SET LOCAL session_replication_role = replica")
                for table in tables:
                    if table != "alembic_version":
                        await connection.execute(f'DELETE FROM "{table}"')
                await connection.execute(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                )
            return True
        finally:
            await connection.close()

    async def finish_test(self, names: Sequence[str]) -> None:
        """Keep a finished test's databases for reuse where they are untouched, else drop."""
        for name in names:
            # Nothing may hold a session or a lock: a killed bot's connections linger.
            await _admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            if self.reusable and await self._empty_if_untouched(name):
                self.clean.append(name)
            else:
                await self.drop([name])

    async def drop(self, names: Sequence[str]) -> None:
        """Drop databases, closing any session still on them."""
        await _admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))

    def drop_test_databases(self) -> None:
        """Recycle or drop what the finished test created."""
        names, self.made_by_test = self.made_by_test, []
        self.by_folder.clear()
        if names:
            _blocking(lambda: self.finish_test(names))

    def drop_everything(self) -> None:
        """Drop what is left of this run, the template included."""
        names = [*self.made_by_test, *self.clean]
        if self.template is not None:
            names.append(_TEMPLATE)
        self.made_by_test, self.clean = [], []
        if names:
            _blocking(lambda: self.drop(names))


_databases = _Databases()


async def new_database(revision: str = "head", name: str = "mentorbot") -> str:
    """Return the URL of a fresh database of this run at `revision` (PostgreSQL only)."""
    return await asyncio.to_thread(_blocking, lambda: _databases.create(revision, name))


def bot_database_url(data_dir: Path) -> str:
    """The database a bot with this data folder uses: its SQLite file, or one made for it."""
    if SERVER is None:
        return sqlite_url(data_dir / "mentorbot.db")
    key = data_dir.resolve()
    url = _databases.by_folder.get(key)
    if url is None:
        # Migrated already: the bot's own upgrade at start-up finds nothing to do.
        url = _blocking(lambda: _databases.create("head", "bot"))
        _databases.by_folder[key] = url
    return url


def bot_database_override(data_dir: Path) -> str | None:
    """DATABASE_URL for a bot with this data folder: None keeps SQLite's default file."""
    return None if SERVER is None else bot_database_url(data_dir)


def bot_database_env(data_dir: Path) -> dict[str, str]:
    """Environment for a `mentorbot` process with this data folder (plain postgresql:// URL)."""
    url = bot_database_override(data_dir)
    if url is None:
        return {}
    return {"DATABASE_URL": make_url(url).set(drivername="postgresql").render_as_string(False)}


def _numbered(statement: str) -> str:
    """Turn sqlite3's `?` placeholders into asyncpg's `$1, $2...`, leaving quoted text alone."""
    out: list[str] = []
    quoted = False
    numbers = itertools.count(1)
    for char in statement:
        if char == "'":
            quoted = not quoted
        out.append(f"${next(numbers)}" if char == "?" and not quoted else char)
    return "".join(out)


def query(url: str, statement: str, *args: object) -> list[tuple[Any, ...]]:
    """Run one SQL statement with `?` placeholders on SQLite or PostgreSQL and return its rows."""
    path = sqlite_file(url)
    if path is not None:
        with sqlite3.connect(path, timeout=10) as db:
            return db.execute(statement, args).fetchall()

    async def run() -> list[tuple[Any, ...]]:
        import asyncpg

        connection = await asyncpg.connect(_dsn(make_url(url)))
        try:
            return [tuple(row) for row in await connection.fetch(_numbered(statement), *args)]
        finally:
            await connection.close()

    return _blocking(run)


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Drop the PostgreSQL databases a test created once it and its fixtures are done."""
    yield
    if SERVER is not None:
        _databases.drop_test_databases()


def pytest_sessionfinish() -> None:
    """Leave nothing of this run on the test server."""
    if SERVER is not None:
        _databases.drop_everything()


def pytest_report_header() -> str:
    """Say which database the run uses."""
    if SERVER is None:
        return "database: SQLite (set TEST_DATABASE_URL for PostgreSQL)"
    return f"database: PostgreSQL at {SERVER.host}:{SERVER.port or 5432}"


@pytest.fixture
def make_db_url(tmp_path: Path) -> MakeDbUrl:
    """Return a factory of fresh databases, each migrated to head (or `revision`)."""

    async def make(name: str = "mentorbot", revision: str = "head") -> str:
        if SERVER is not None:
            return await new_database(revision, name)
        url = sqlite_url(tmp_path / "db" / f"{name}.db")
        await upgrade(url, revision)
        return url

    return make


@pytest.fixture
async def db_url(make_db_url: MakeDbUrl) -> str:
    """Return the URL of a fresh database migrated to head."""
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


@asynccontextmanager
async def hold_writes(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int
) -> AsyncIterator[None]:
    """Make writes about a user queue, in arrival order, until the block ends.

    SQLite: hold the write gate, which every unit of work passes. PostgreSQL: hold the user's
    member rows, which a turn and an erasure both lock first.
    """
    if SERVER is None:
        async with write_gate(sessionmaker):
            yield
        return
    async with sessionmaker() as s, s.begin():
        await s.execute(select(Member.id).where(Member.user_id == user_id).with_for_update())
        yield


def sqlite_only(why: str) -> pytest.MarkDecorator:
    """Skip a test about a SQLite mechanism when the run is on PostgreSQL."""
    return pytest.mark.skipif(SERVER is not None, reason=f"SQLite only: {why}")


def postgresql_only(why: str) -> pytest.MarkDecorator:
    """Skip a test about a PostgreSQL mechanism unless TEST_DATABASE_URL names a server."""
    return pytest.mark.skipif(SERVER is None, reason=f"needs {TEST_DATABASE_ENV}: {why}")
