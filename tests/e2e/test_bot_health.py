"""/healthz and /metrics of the real bot on the fake Discord: losses, recoveries, counts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.client import MentorBot, sync_commands
from bot.db.engine import sqlite_file
from bot.services.clock import ShiftedClock
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, bot_settings
from tests.e2e.test_bot_coaching import start_grow
from tests.e2e.test_bot_debrief import arrive_at_next_send, wait_for_dm

# The acceptance bound: unhealthy within 30 s of a loss, healthy again once it is back.
BOUND = 30.0
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def health_bot(fake: FakeDiscord, data_dir: Path, clock: ShiftedClock | None = None) -> MentorBot:
    """A bot serving /healthz on a free port, probing the database five times a second."""
    settings = bot_settings(fake, data_dir).model_copy(
        update={
            "health_port": 0,
            "health_host": "127.0.0.1",
            "health_check_seconds": 0.2,
            "planner_seconds": 0.2,
        }
    )
    return MentorBot(settings, clock=clock or ShiftedClock())


def base_url(bot: MentorBot) -> str:
    assert bot.observability is not None, "HEALTH_PORT was set, so the endpoint must be up"
    return bot.observability.server.url


async def healthz(bot: MentorBot) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url(bot)}/healthz") as resp:
        return resp.status, await resp.json()


async def wait_health(bot: MentorBot, healthy: bool, timeout: float) -> tuple[float, dict]:  # noqa: ASYNC109
    """Poll /healthz until it reports `healthy`; return how long that took and the body."""
    started = time.monotonic()
    while True:
        status, body = await healthz(bot)
        if (status == 200) == healthy:
            assert body["status"] == ("ok" if healthy else "unhealthy")
            return time.monotonic() - started, body
        if time.monotonic() - started > timeout:
            raise AssertionError(f"/healthz still {status} after {timeout} s: {body}")
        await asyncio.sleep(0.1)


async def scrape(bot: MentorBot) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url(bot)}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_healthz_follows_the_gateway(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    bot = await run_bot.start(health_bot(fake_discord, data_dir))
    _took, body = await wait_health(bot, True, 5.0)
    assert set(body["checks"]) == {"gateway", "database", "scheduler"}
    assert body["checks"]["gateway"]["detail"].startswith("connected")
    dialect = bot.engine.dialect.name
    assert body["checks"]["database"]["detail"].startswith(f"reachable ({dialect}")

    # The gateway drops and refuses every reconnection: an outage on Discord's side.
    fake_discord.gateway.refusing = True
    await fake_discord.drop_gateway()
    took, body = await wait_health(bot, False, BOUND)
    assert took < BOUND
    assert body["checks"]["gateway"] == {"ok": False, "detail": "disconnected from the gateway"}
    assert body["checks"]["database"]["ok"]
    await asyncio.sleep(1.0)
    assert (await healthz(bot))[0] == 503  # still down while Discord refuses
    # Back: discord.py's next retry resumes the session and the check follows.
    fake_discord.gateway.refusing = False
    took, _ = await wait_health(bot, True, BOUND)
    assert fake_discord.gateway.refused >= 1


async def test_healthz_follows_the_database(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    bot = await run_bot.start(health_bot(fake_discord, data_dir))
    if sqlite_file(bot.settings.db_url) is None:
        pytest.skip("takes the database away by moving its SQLite folder")
    await wait_health(bot, True, 5.0)

    # The database goes away (its volume unmounted) and comes back.
    away = tmp_path / "data-away"
    data_dir.rename(away)
    try:
        took, body = await wait_health(bot, False, BOUND)
        assert took < BOUND
        assert body["checks"]["database"]["ok"] is False
        assert "unable to open database file" in body["checks"]["database"]["detail"]
        assert body["checks"]["gateway"]["ok"]
    finally:
        away.rename(data_dir)
    await wait_health(bot, True, BOUND)


async def test_healthz_is_unhealthy_once_the_bot_is_closing(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    bot = await run_bot.start(health_bot(fake_discord, tmp_path / "data"))
    await wait_health(bot, True, 5.0)
    url = base_url(bot)
    await run_bot.stop(bot)
    assert bot.observability is None  # the endpoint stops with the bot: the port is free
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{url}/healthz") as resp:
                raise AssertionError(f"/healthz still answers {resp.status} after close")
        except aiohttp.ClientConnectionError:
            pass


async def test_metrics_count_a_command_a_conversation_and_a_dm(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    clock = ShiftedClock()
    data_dir = tmp_path / "data"
    bot = await run_bot.start(health_bot(fake_discord, data_dir, clock))
    await wait_health(bot, True, 5.0)
    before = await scrape(bot)
    alice = Member(fake_discord, fake_discord.user)

    await start_grow(alice)
    await alice.slash("debrief", "schedule", day=2, time="09:00", timezone="Europe/Paris")
    start = len(fake_discord.requests)
    arrive_at_next_send(data_dir, clock)
    weekly = await wait_for_dm(alice, start)
    assert "weekly debrief" in weekly["content"]
    for _ in range(50):  # the sender counts the DM once it has marked the row sent
        after = await scrape(bot)
        if value(after, "mentorbot_scheduled_dms_total", outcome="sent") > value(
            before, "mentorbot_scheduled_dms_total", outcome="sent"
        ):
            break
        await asyncio.sleep(0.1)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("mentorbot_interactions_total", kind="command", command="coach start") == 1
    assert grew("mentorbot_interactions_total", kind="command", command="debrief schedule") == 1
    assert (
        grew(
            "mentorbot_interaction_seconds_count",
            kind="command",
            command="coach start",
            outcome="ok",
        )
        == 1
    )
    assert grew("mentorbot_conversations_started_total", framework="grow") == 1
    assert grew("mentorbot_scheduled_dms_total", outcome="sent") == 1
    assert value(after, "mentorbot_health_check", check="gateway") == 1
    assert value(after, "mentorbot_health_check", check="database") == 1


async def test_a_one_off_sync_beside_the_running_bot_leaves_its_port_alone(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    bot = await run_bot.start(health_bot(fake_discord, tmp_path / "data"))
    assert bot.observability is not None
    taken = bot.observability.server.port
    # `mentorbot sync` with the same settings as the running bot, port included.
    settings = bot.settings.model_copy(
        update={
            "health_port": taken,
            "discord_api_base": fake_discord.api_base,
            "discord_gateway_url": fake_discord.gateway.url,
        }
    )
    assert await sync_commands(settings) == 0
    status, _body = await healthz(bot)
    assert status == 200
