"""`mentorbot db backup`: an online copy of SQLite that is whole while the bot writes."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import cli
from bot.config import get_settings
from bot.db import repositories as repo
from bot.db.backup import BackupError, backup_sqlite, human_size
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import Member
from bot.db.uow import unit_of_work
from tests.fixtures_db import MIGRATION_HEAD, MakeDbUrl, sqlite_only

SQLITE_FILE = "the backup copies a SQLite file; PostgreSQL is backed up with pg_dump"


def _inspect(path: Path) -> tuple[str, str, int, str]:
    """Integrity verdict, journal mode, member rows and schema revision of a copy."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        members = conn.execute("SELECT count(*) FROM members").fetchone()[0]
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()
    return verdict, mode, members, revision


@sqlite_only(SQLITE_FILE)
async def test_backup_while_the_bot_writes_is_whole_and_consistent(
    make_db_url: MakeDbUrl, tmp_path: Path
) -> None:
    url = await make_db_url()
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    written = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            async with unit_of_work(sessions) as s:
                for _ in range(5):
                    written += 1
                    await repo.get_or_create_member(
                        s, guild_id=1, user_id=written, display_name=f"m{written}"
                    )
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    copies: list[tuple[int, int, Path]] = []
    try:
        for n in range(6):
            await asyncio.sleep(0.05)
            before = written
            target = tmp_path / f"copy-{n}.db"
            # Another thread, as another process would: the bot's loop keeps writing meanwhile.
            result = await asyncio.to_thread(backup_sqlite, url, target)
            copies.append((before, written, target))
            assert result.path == target
            assert result.size == target.stat().st_size > 0
            assert result.tables["alembic_version"] == 1
    finally:
        stop.set()
        await task
    async with sessions() as s:
        final = (await s.execute(select(func.count()).select_from(Member))).scalar_one()
    await engine.dispose()

    assert written == final > 30
    seen = []
    for before, after, target in copies:
        verdict, mode, members, revision = _inspect(target)
        assert verdict == "ok"
        assert mode == "delete"  # one self-contained file
        assert revision == MIGRATION_HEAD
        # Commits come in fives, so a consistent snapshot holds a multiple of five rows.
        assert members % 5 == 0
        assert before - 5 <= members <= after
        seen.append(members)
    assert not [p for p in os.listdir(tmp_path) if p.endswith("-wal")]
    assert seen == sorted(seen)
    assert seen[-1] > seen[0]
    # Once the writer has stopped, a backup holds every row.
    last = backup_sqlite(url, tmp_path / "after.db")
    assert last.tables["members"] == final


@sqlite_only(SQLITE_FILE)
async def test_backup_refuses_to_overwrite_without_force(
    make_db_url: MakeDbUrl, tmp_path: Path
) -> None:
    url = await make_db_url()
    target = tmp_path / "backup.db"
    target.write_bytes(b"an older backup")
    with pytest.raises(BackupError, match="--force"):
        backup_sqlite(url, target)
    assert target.read_bytes() == b"an older backup"
    result = backup_sqlite(url, target, force=True)
    assert _inspect(target)[0] == "ok"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # members' words: owner only
    assert result.tables["members"] == 0
    # Nothing half-written is left beside it.
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_backup_refuses_postgresql_with_a_pointer_to_pg_dump(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql+asyncpg://bot@db/mentorbot", tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


def test_backup_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mentorbot.db"
    with pytest.raises(BackupError, match="no database file"):
        backup_sqlite(f"sqlite+aiosqlite:///{missing}", tmp_path / "x.db")
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


@sqlite_only(SQLITE_FILE)
async def test_backup_refuses_a_folder_or_a_missing_folder(
    make_db_url: MakeDbUrl, tmp_path: Path
) -> None:
    url = await make_db_url()
    with pytest.raises(BackupError, match="is a folder"):
        backup_sqlite(url, tmp_path, force=True)
    with pytest.raises(BackupError, match="no folder"):
        backup_sqlite(url, tmp_path / "absent" / "b.db")


def test_human_size() -> None:
    assert human_size(912) == "912 B"
    assert human_size(4300) == "4.2 KB"
    assert human_size(18 * 1024 * 1024) == "18.0 MB"
    assert human_size(3 * 1024**3) == "3.0 GB"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the settings at a data folder in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_cli_backup_prints_size_and_rows_and_needs_force_to_replace(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert cli.main(["db", "backup", "saved.db"]) == 0
    out = capsys.readouterr().out
    assert f"backed up {data_dir / 'mentorbot.db'} to saved.db" in out
    assert "integrity ok" in out
    assert re.search(r"^  alembic_version +1 row$", out, re.MULTILINE)
    assert re.search(r"^  members +0 rows$", out, re.MULTILINE)
    assert _inspect(tmp_path / "saved.db")[0] == "ok"

    assert cli.main(["db", "backup", "saved.db"]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli.main(["db", "backup", "saved.db", "--force"]) == 0


def test_cli_backup_on_postgresql_says_to_use_pg_dump(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db/mentorbot")
    get_settings.cache_clear()
    assert cli.main(["db", "backup", "x.db"]) == 1
    assert "pg_dump" in capsys.readouterr().err
