"""Copy a live SQLite database with SQLite's online backup API, safe while the bot runs."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.db.engine import BUSY_TIMEOUT_MS, is_sqlite, sqlite_file

PG_DUMP_HINT = (
    "mentorbot db backup copies SQLite databases only. For PostgreSQL use pg_dump, for "
    'example: pg_dump --format=custom --file=mentorbot.dump "postgresql://USER@HOST/DB" '
    "(and pg_restore to bring it back)."
)


class BackupError(Exception):
    """A backup that was refused or failed; the text says what to do."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went, how big it is, and how many rows each table holds."""

    source: Path
    path: Path
    size: int
    tables: dict[str, int]


def backup_sqlite(url: str, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the database at `url` to `target`, checked and complete, or raise BackupError.

    The copy is written beside the target and renamed into place only once it passes
    `PRAGMA integrity_check`, so a failed backup never leaves half a file, and `force`
    never removes an older backup before the new one is whole.
    """
    if not is_sqlite(url):
        raise BackupError(PG_DUMP_HINT)
    source = sqlite_file(url)
    if source is None:
        raise BackupError("this database lives in memory; there is no file to back up")
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name for the backup")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; pass --force to replace it")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup cannot replace the database it copies")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} to write the backup into")
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        tables = _copy(source, temp)
        with temp.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return BackupResult(source=source, path=target, size=target.stat().st_size, tables=tables)


def _copy(source: Path, temp: Path) -> dict[str, int]:
    # mode=rw: a missing file is an error, never a new empty database.
    uri = f"{source.absolute().as_uri()}?mode=rw"
    timeout = BUSY_TIMEOUT_MS / 1000
    with (
        contextlib.closing(sqlite3.connect(uri, uri=True, timeout=timeout)) as src,
        contextlib.closing(sqlite3.connect(temp, timeout=timeout)) as dst,
    ):
        # One step: in WAL mode it reads a consistent snapshot and writers carry on.
        src.backup(dst)
        # A single self-contained file: no -wal or -shm beside the backup.
        dst.execute("PRAGMA journal_mode=DELETE")
        verdict = dst.execute("PRAGMA integrity_check").fetchall()
        if verdict != [("ok",)]:
            problems = "; ".join(str(row[0]) for row in verdict[:5])
            raise BackupError(f"the copy failed its integrity check: {problems}")
        return _row_counts(dst)


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts: dict[str, int] = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    return counts


def human_size(size: int) -> str:
    """A byte count for people: 912 B, 4.2 KB, 18.0 MB."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
