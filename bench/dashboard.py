"""Time the mentor dashboard (its queries plus the cohort chart) for a large server on SQLite.

Usage: python bench/dashboard.py [--members 5000] [--weeks 52] [--runs 15] [--keep PATH]

Seeds one server with `--members` members and `--weeks` weeks of history each: a weekly
debrief DM (about 80% answered, the rest expired or left unanswered), the debrief
conversation and stress score of every answered week, a commitment from every other answered
week, a few safety events, and a smaller second server. Then it times, `--runs` times, what
`/dashboard` does before it replies: the overview's grouped queries, the cohort weeks and the
cohort chart PNG; and separately the CSV export. Prints median, p90 and max, and the CPU time
of the dashboards, which stays put when other work shares the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dialogue_turn import percentile
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade
from bot.services.clock import FixedClock
from bot.services.dashboard import DashboardService
from bot.services.progress import ProgressService
from bot.ui.charts import cohort_chart

GUILD, OTHER_GUILD = 1, 2
NOW = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
GRACE = timedelta(hours=6)
TARGET_MS = 1000.0


def stamp(at: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (naive UTC text)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(path: Path, members: int, weeks: int, rng: random.Random) -> dict[str, int]:
    """Fill a migrated database with bulk inserts; return the row counts."""
    rows: dict[str, list[tuple[object, ...]]] = {
        k: [] for k in ("members", "sessions", "scores", "outbox", "commitments", "safety")
    }
    this_friday = (NOW - timedelta(days=(NOW.weekday() - 4) % 7)).replace(hour=18, minute=0)
    session_id = 0
    others = max(10, members // 50)
    everyone = members + others
    for i in range(everyone):
        guild = GUILD if i < members else OTHER_GUILD
        share = i % 5 != 0
        rows["members"].append(
            (i + 1, guild, 10**6 + i, f"member{i:05d}", share, stamp(NOW), stamp(NOW))
        )
    bases = [rng.uniform(2, 7) for _ in range(everyone)]
    # Week by week, as the planner and the conversations write them: rows lie in time order.
    for week in range(weeks):
        due = this_friday - timedelta(weeks=weeks - 1 - week)
        key = due.date().isoformat()
        for member_id, base in enumerate(bases, start=1):
            roll = rng.random()
            answered = roll < 0.8 and due <= NOW
            if due > NOW:
                status, answered_at = "pending", None
            elif answered:
                status, answered_at = "sent", stamp(due + timedelta(minutes=20))
            else:
                status, answered_at = ("expired" if roll < 0.9 else "sent"), None
            rows["outbox"].append(
                (member_id, "debrief", key, stamp(due), stamp(due + GRACE), status, answered_at)
            )
            if not answered:
                continue
            session_id += 1
            talk = due + timedelta(minutes=30)
            rows["sessions"].append(
                (session_id, member_id, "stress_debrief", 1, "done", "done", stamp(talk))
            )
            iso = talk.isocalendar()
            score = max(0, min(10, round(base + rng.gauss(0, 1.5))))
            rows["scores"].append((member_id, session_id, iso.year, iso.week, score, stamp(talk)))
            if week % 2 == 0:
                done = rng.random() < 0.6
                rows["commitments"].append(
                    (
                        member_id,
                        session_id,
                        "one small step",
                        (talk + timedelta(days=7)).date().isoformat(),
                        "done" if done else "open",
                        stamp(talk),
                        stamp(talk + timedelta(days=5)) if done else None,
                    )
                )
    for member_id in rng.sample(range(1, members + 1), k=min(members, 12)):
        at = NOW - timedelta(days=rng.randint(0, 40))
        rows["safety"].append((member_id, "self_harm", "rule", stamp(at)))
    statements = {
        "members": "INSERT INTO members (id, guild_id, user_id, display_name, share_progress,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "sessions": "INSERT INTO coaching_sessions (id, member_id, framework_id,"
        " framework_version, stage_id, status, state, started_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, '{}', ?7, ?7)",
        "scores": "INSERT INTO stress_scores (member_id, session_id, iso_year, iso_week, score,"
        " recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
        "outbox": "INSERT INTO outbox (member_id, kind, occurrence_key, due_at, expires_at,"
        " status, answered_at, payload, created_at) VALUES (?, ?, ?, ?4, ?, ?, ?, '{}', ?4)",
        "commitments": "INSERT INTO commitments (member_id, session_id, text, due_date, status,"
        " created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "safety": "INSERT INTO safety_events (member_id, concerns, rules, created_at)"
        " VALUES (?, ?, ?, ?)",
    }
    with closing(sqlite3.connect(path)) as db, db:
        for table, statement in statements.items():
            db.executemany(statement, rows[table])
    with closing(sqlite3.connect(path)) as db:
        db.execute("ANALYZE")
    return {table: len(found) for table, found in rows.items()}


async def measure(url: str, runs: int) -> tuple[list[float], list[float], list[float], int]:
    """Time `runs` dashboards (queries plus chart) and exports, in milliseconds.

    Besides the wall-clock times it returns the dashboards' CPU times (every thread of this
    process, SQLite's included), which other work on a shared machine does not inflate.
    """
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    clock = FixedClock(NOW)
    service = DashboardService(sessions, ProgressService(sessions, clock=clock), clock=clock)
    dashboards: list[float] = []
    cpu: list[float] = []
    exports: list[float] = []
    png = b""
    for run in range(runs):
        started, used = time.perf_counter(), time.process_time()
        await service.overview(GUILD, page=run)
        weeks = await service.cohort_weeks(GUILD)
        png = await asyncio.to_thread(cohort_chart, weeks)
        dashboards.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    for _ in range(max(3, runs // 5)):
        started = time.perf_counter()
        await service.export_csv(GUILD)
        exports.append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    return dashboards, cpu, exports, len(png)


def figures(label: str, timings: list[float]) -> str:
    """One line of median, p90 and max."""
    return (
        f"{label}: median {statistics.median(timings):.0f} ms, "
        f"p90 {percentile(timings, 90):.0f} ms, max {max(timings):.0f} ms ({len(timings)} runs)"
    )


def main() -> None:
    """Seed, measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="keep the database at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "dashboard.db"
        path.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path.as_posix()}"
        asyncio.run(upgrade(url))
        started = time.perf_counter()
        counts = seed(path, args.members, args.weeks, random.Random(5))
        seeded = time.perf_counter() - started
        print(
            f"{args.members} members x {args.weeks} weeks, SQLite file (WAL); seeded in "
            f"{seeded:.1f} s: " + ", ".join(f"{n:,} {table}" for table, n in counts.items())
        )
        dashboards, cpu, exports, size = asyncio.run(measure(url, args.runs))
        print(figures("dashboard (queries + cohort chart)", dashboards))
        print(figures("  its CPU time", cpu))
        print(f"  chart PNG {size:,} bytes")
        print(figures("CSV export", exports))
        verdict = "under" if statistics.median(dashboards) < TARGET_MS else "OVER"
        print(f"target: median under {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
