"""Run Alembic migrations from Python: the CLI, `make run` and the tests call these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import migrations
from bot.db.engine import create_engine, sqlite_file

T = TypeVar("T")


def migrations_folder() -> Path:
    """Return the folder of the installed `migrations` package."""
    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """Build an Alembic config that works from any working directory.

    Without `url`, migrations/env.py falls back to the URL from the settings.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    if url is not None:
        # The config is parsed by ConfigParser, which treats % as interpolation.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _on_connection(url: str, work: Callable[[Connection], T]) -> T:
    """Run a synchronous Alembic call on one connection of a short-lived engine."""
    # Foreign keys off: SQLite batch mode rebuilds tables, which would otherwise cascade.
    engine = create_engine(url, foreign_keys=False)
    try:
        async with engine.connect() as connection:
            # run_sync hands Alembic a plain connection, so env.py never starts its own
            # event loop; that keeps these callable from inside a running loop.
            result = await connection.run_sync(work)
            await connection.commit()
            return result
    finally:
        await engine.dispose()


def _command_runner(
    url: str, action: Callable[[Config, str], None], revision: str
) -> Callable[[Connection], None]:
    """Wrap an Alembic command so it runs on the connection it is given."""

    def run(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        action(config, revision)

    return run


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`."""
    await _on_connection(url, _command_runner(url, command.upgrade, revision))


async def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision` ("base" removes every table)."""
    await _on_connection(url, _command_runner(url, command.downgrade, revision))


def _missing_sqlite_file(url: str) -> bool:
    """Tell whether `url` names a SQLite file that does not exist yet."""
    path = sqlite_file(url)
    # Only a read: opening the URL would create an empty file (and its folder).
    return path is not None and not path.exists()


def _current_heads(connection: Connection) -> tuple[str, ...]:
    """Read the revisions stamped in the database."""
    return MigrationContext.configure(connection).get_current_heads()


async def current_revision(url: str) -> str | None:
    """Return the revision the database is at, or None if it was never migrated."""
    if _missing_sqlite_file(url):
        return None
    heads = await _on_connection(url, _current_heads)
    if len(heads) > 1:
        raise RuntimeError(f"database has several heads: {', '.join(heads)}")
    return heads[0] if heads else None


def head_revisions() -> set[str]:
    """Return the newest revisions the shipped migrations define."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def is_up_to_date(url: str) -> bool:
    """Tell whether the database is at the newest shipped revision."""
    if _missing_sqlite_file(url):
        return False
    heads = await _on_connection(url, _current_heads)
    return set(heads) == head_revisions()
