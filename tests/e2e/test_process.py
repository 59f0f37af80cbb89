"""`mentorbot run` as a real process against the fake Discord: start, answer, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.fake import FakeDiscord
from tests.fixtures_db import MIGRATION_HEAD, bot_database_env, bot_database_url, query


async def test_run_serves_then_stops_cleanly_on_sigterm(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake_discord.token,
        "DISCORD_API_BASE": fake_discord.api_base,
        "DISCORD_GATEWAY_URL": fake_discord.gateway.url,
        "DISCORD_GUILD_ID": fake_discord.guild_id,
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
    }
    env.pop("DATABASE_URL", None)
    env.update(bot_database_env(tmp_path / "data"))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_discord.wait_for_request(
            lambda r: r.matches("PUT", r"/guilds/\d+/commands$"), timeout=30
        )
        await fake_discord.wait_for_request(lambda r: r.matches("GET", r"^/users/@me$"))
        # The gateway session is up once a DM gets an answer.
        for _ in range(50):
            if fake_discord.gateway.session_id is not None:
                break
            await asyncio.sleep(0.1)
        start = len(fake_discord.requests)
        dm = fake_discord.make_dm_message(fake_discord.user, "hello")
        await fake_discord.dispatch("MESSAGE_CREATE", dm)
        reply = await fake_discord.wait_for_request(
            lambda r: r.matches("POST", r"/channels/\d+/messages$"), timeout=10, start=start
        )
        assert "/coach start" in reply.json["content"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log, log
    url = bot_database_url(tmp_path / "data")
    [(revision,)] = query(url, "SELECT version_num FROM alembic_version")
    (stored,) = next(iter(query(url, "SELECT value FROM bot_state")), (None,))
    assert revision == MIGRATION_HEAD
    assert stored is None or len(stored) == 64
