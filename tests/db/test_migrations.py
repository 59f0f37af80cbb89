"""The migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, inspect
from sqlalchemy.engine import Connection

from bot.config import get_settings
from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import create_engine
from tests.fixtures_db import MIGRATION_HEAD, MakeDbUrl, sqlite_url

HEAD = MIGRATION_HEAD


def schema_diff(connection: Connection) -> list[Any]:
    """Return Alembic's differences between the database and the models."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def describe_database(connection: Connection) -> dict[str, dict[str, Any]]:
    """Describe each table's columns and named constraints as the database reports them."""
    inspector = inspect(connection)
    described: dict[str, dict[str, Any]] = {}
    for table in inspector.get_table_names():
        if table in {"alembic_version", "sqlite_sequence"}:
            continue
        described[table] = {
            "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            # PostgreSQL also lists the index behind each unique constraint; those are uniques.
            "indexes": {
                i["name"]: i["column_names"]
                for i in inspector.get_indexes(table)
                if "duplicates_constraint" not in i
            },
            "uniques": {
                u["name"]: u["column_names"] for u in inspector.get_unique_constraints(table)
            },
            "checks": {c["name"] for c in inspector.get_check_constraints(table)},
            "fks": {
                f["name"]: (f["constrained_columns"], f["referred_table"], f["options"])
                for f in inspector.get_foreign_keys(table)
            },
        }
    return described


def describe_models() -> dict[str, dict[str, Any]]:
    """Describe the same things from the mapped metadata."""
    described: dict[str, dict[str, Any]] = {}
    for table in Base.metadata.sorted_tables:
        described[table.name] = {
            "columns": {c.name: c.nullable for c in table.columns},
            "pk": [c.name for c in table.primary_key.columns],
            "indexes": {str(i.name): [c.name for c in i.columns] for i in table.indexes},
            "uniques": _constraints(table, "UniqueConstraint"),
            "checks": set(_constraints(table, "CheckConstraint")),
            "fks": {
                str(fk.name): (
                    [c.name for c in fk.columns],
                    fk.referred_table.name,
                    {"ondelete": fk.ondelete} if fk.ondelete else {},
                )
                for fk in table.foreign_key_constraints
            },
        }
    return described


def _constraints(table: Table, kind: str) -> dict[str, list[str]]:
    """Map the names of a table's constraints of one kind to their columns."""
    return {
        str(c.name): [col.name for col in getattr(c, "columns", [])]
        for c in table.constraints
        if type(c).__name__ == kind
    }


async def run_on(url: str, work: Any, *, commit: bool = False) -> Any:
    """Run synchronous work (an inspection, or a write with commit=True) on a fresh engine."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(work)
            if commit:
                await connection.commit()
            return result
    finally:
        await engine.dispose()


async def test_upgrade_head_builds_exactly_the_models(db_url: str) -> None:
    assert await run_on(db_url, schema_diff) == []
    assert await run_on(db_url, describe_database) == describe_models()


async def test_constraint_names_follow_the_convention(db_url: str) -> None:
    described = await run_on(db_url, describe_database)
    assert set(described["stress_scores"]["uniques"]) == {
        "uq_stress_scores_member_id_iso_year_iso_week"
    }
    assert described["coaching_sessions"]["checks"] == {"ck_coaching_sessions_status"}
    assert set(described["coaching_sessions"]["indexes"]) == {
        "ix_coaching_sessions_member_id_status"
    }
    assert described["goals"]["fks"]["fk_goals_session_id_coaching_sessions"][2] == {
        "ondelete": "SET NULL"
    }


async def test_downgrade_base_removes_everything_and_upgrade_works_again(db_url: str) -> None:
    await migrate.downgrade(db_url, "base")
    tables = await run_on(db_url, lambda c: set(inspect(c).get_table_names()))
    assert tables <= {"alembic_version", "sqlite_sequence"}
    assert await migrate.current_revision(db_url) is None

    await migrate.upgrade(db_url)
    assert await run_on(db_url, schema_diff) == []
    assert await migrate.current_revision(db_url) == HEAD


async def test_revision_queries(make_db_url: MakeDbUrl, tmp_path: Path) -> None:
    missing = sqlite_url(tmp_path / "nowhere" / "absent.db")
    assert await migrate.current_revision(missing) is None
    assert await migrate.is_up_to_date(missing) is False
    # Asking must not create the file or its folder.
    assert not (tmp_path / "nowhere").exists()

    base = await make_db_url("empty", revision="base")
    assert await migrate.is_up_to_date(base) is False
    head = await make_db_url("full")
    assert await migrate.is_up_to_date(head) is True
    assert migrate.head_revisions() == {HEAD}


async def test_migrations_run_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = migrate.alembic_config()
    assert Path(config.get_main_option("script_location") or "").is_absolute()
    url = sqlite_url(tmp_path / "elsewhere" / "bot.db")
    await migrate.upgrade(url)
    assert await migrate.current_revision(url) == HEAD


async def test_env_falls_back_to_the_settings_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-settings" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target.as_posix()}")
    get_settings.cache_clear()
    try:
        # No URL and no connection: env.py runs its own event loop, so give it a thread.
        await asyncio.to_thread(command.upgrade, migrate.alembic_config(), "head")
    finally:
        get_settings.cache_clear()
    assert target.exists()
    assert await migrate.current_revision(sqlite_url(target)) == HEAD


async def test_url_with_percent_sign_survives_the_config(tmp_path: Path) -> None:
    config = migrate.alembic_config(sqlite_url(tmp_path / "100%.db"))
    assert config.get_main_option("sqlalchemy.url", "").endswith("/100%.db")


async def test_upgrade_from_0001_keeps_members_and_sessions(make_db_url: MakeDbUrl) -> None:
    url = await make_db_url("old", revision="0001")

    def seed(conn: Connection) -> None:
        conn.exec_driver_sql(
            "INSERT INTO members (guild_id, user_id, display_name, share_progress, "
            "share_transcripts, created_at, updated_at) VALUES "
            "(1, 2, 'Alex', false, false, '2026-11-23 09:00:00', '2026-11-23 09:00:00')"
        )

    await run_on(url, seed, commit=True)
    await migrate.upgrade(url)
    assert await run_on(url, schema_diff) == []
    rows = await run_on(
        url, lambda c: c.exec_driver_sql("SELECT display_name, dm_closed_at FROM members").all()
    )
    assert [tuple(r) for r in rows] == [("Alex", None)]
    await migrate.downgrade(url, "0001")
    assert await migrate.current_revision(url) == "0001"
