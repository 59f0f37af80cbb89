"""Alembic environment: async engine, batch mode on SQLite, URL from the settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base, UTCDateTime
from bot.db.engine import create_engine, is_sqlite

config = context.config
target_metadata = Base.metadata

# Only the command-line tool configures logging; a programmatic call keeps the app's setup.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """Return the URL the caller set, else the one from the settings."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Imported late so that `alembic` with an explicit URL never reads the environment.
    from bot.config import get_settings

    return get_settings().db_url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render UTCDateTime as a plain DateTime so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_options(sqlite: bool) -> dict[str, Any]:
    """Return the options shared by offline and online runs."""
    return {
        "target_metadata": target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        "render_as_batch": sqlite,
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_offline() -> None:
    """Emit the migration SQL to stdout instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(is_sqlite(url)),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a synchronous connection."""
    context.configure(
        connection=connection, **configure_options(connection.dialect.name == "sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Open an async engine, run the migrations through it and close it."""
    # Foreign keys off: batch mode's table rebuild would otherwise cascade-delete rows.
    engine = create_engine(database_url(), foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run on the caller's connection if it passed one, else on a fresh engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
