"""Kill the bot process at random moments while it sends scheduled DMs, then count them."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade
from bot.db.uow import unit_of_work
from tests.e2e.fake import FakeDiscord
from tests.fixtures_db import bot_database_env, bot_database_url, query

OCCURRENCE = "2026-11-23"


@dataclass
class KillReport:
    """What happened across the kills and the final run."""

    rows: int
    kills: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    delivered_users: int = 0
    duplicate_messages: int = 0
    nonce_dedups: int = 0
    seconds: float = 0.0


def database(data_dir: Path) -> str:
    """The database the bot process uses: its SQLite file, or the test's PostgreSQL one."""
    return bot_database_url(data_dir)


async def seed(fake: FakeDiscord, data_dir: Path, count: int) -> list[str]:
    """Create `count` members with a DM channel each and one debrief due now for each."""
    url = database(data_dir)
    await upgrade(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    users = [fake.add_user(f"member{i}") for i in range(count)]
    try:
        async with unit_of_work(create_sessionmaker(engine)) as s:
            for user in users:
                member = await repo.get_or_create_member(
                    s, guild_id=int(fake.guild_id), user_id=int(user["id"]), display_name="m"
                )
                member.dm_channel_id = int(fake.state.dm_channel_for(user["id"])["id"])
                await outbox.enqueue(
                    s,
                    member_id=member.id,
                    kind="debrief",
                    key=OCCURRENCE,
                    due_at=now - timedelta(seconds=1),
                    expires_at=now + timedelta(hours=6),
                )
    finally:
        await engine.dispose()
    return [str(fake.state.dm_channel_for(u["id"])["id"]) for u in users]


async def spawn(
    fake: FakeDiscord, data_dir: Path, *, rate: float, lease: float
) -> asyncio.subprocess.Process:
    """Start `mentorbot run` against the fake."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway.url,
        "DISCORD_GUILD_ID": fake.guild_id,
        "DATA_DIR": str(data_dir),
        "SEND_RATE": str(rate),
        "OUTBOX_LEASE_SECONDS": str(lease),
        "PLANNER_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    env.update(bot_database_env(data_dir))
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def statuses(data_dir: Path) -> dict[str, int]:
    """Weekly debrief rows by status, read straight from the database (nudges not counted)."""
    rows = query(
        database(data_dir),
        "SELECT status, count(*) FROM outbox WHERE kind = 'debrief' GROUP BY status",
    )
    return {status: int(n) for status, n in rows}


async def run_with_kills(
    fake: FakeDiscord,
    data_dir: Path,
    count: int,
    *,
    kills: int,
    seed_value: int = 7,
    rate: float = 45.0,
    lease: float = 3.0,
    timeout: float = 600.0,  # noqa: ASYNC109
) -> KillReport:
    """SIGKILL the bot `kills` times mid-send, then let one run finish; return the counts."""
    channels = await seed(fake, data_dir, count)
    rng = random.Random(seed_value)
    report = KillReport(rows=count)
    started = asyncio.get_running_loop().time()
    expected_duration = count / rate
    for _ in range(kills):
        process = await spawn(fake, data_dir, rate=rate, lease=lease)
        # Kill somewhere in the sending, so some rows are sent but not yet settled.
        await asyncio.sleep(1.5 + rng.uniform(0, max(0.5, expected_duration / (kills + 1))))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        report.kills += 1
    process = await spawn(fake, data_dir, rate=rate, lease=lease)
    try:
        deadline = started + timeout
        while asyncio.get_running_loop().time() < deadline:
            if statuses(data_dir).get("pending", 0) == 0:
                break
            await asyncio.sleep(0.25)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    report.seconds = asyncio.get_running_loop().time() - started
    report.statuses = statuses(data_dir)
    per_channel = [
        [m for m in fake.messages_in(c) if "weekly debrief" in m.get("content", "")]
        for c in channels
    ]
    report.delivered_users = sum(1 for messages in per_channel if messages)
    report.duplicate_messages = sum(max(0, len(messages) - 1) for messages in per_channel)
    report.nonce_dedups = fake.nonce_dedups
    return report
