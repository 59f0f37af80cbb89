"""Health checks, the /healthz and /metrics endpoint, metrics and structured logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.uow import unit_of_work
from bot.domain.frameworks import Catalogue
from bot.logs import PRIVATE_LOGGERS, JsonFormatter, keep_member_text_out
from bot.observability import metrics
from bot.observability.database import DatabaseProbe, probe_url
from bot.observability.health import (
    Check,
    HealthMonitor,
    Report,
    gateway_check,
    scheduler_check,
)
from bot.observability.interactions import command_path, custom_id_label
from bot.observability.server import HealthServer
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, MemberRef
from bot.services.dispatch import Dispatcher
from bot.services.ports import DMClosed, OutgoingDM
from bot.services.reminders import Reminders
from bot.services.ticks import Ticks
from tests.fixtures_db import MakeDbUrl, sqlite_only

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# The acceptance bound: a lost database or gateway shows as unhealthy within 30 s.
BOUND = 30.0


def sample(name: str, **labels: str) -> float:
    """A metric's current value (0 before its first increment)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Switch:
    """A probe that answers as told: up, down (an error) or hanging."""

    def __init__(self) -> None:
        self.state = "up"
        self.calls = 0

    async def __call__(self) -> Check:
        self.calls += 1
        if self.state == "down":
            raise ConnectionRefusedError("connection refused")
        if self.state == "hang":
            await asyncio.Event().wait()
        return Check(True, "reachable")


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


# -- the monitor ------------------------------------------------------------------------------


async def test_monitor_with_default_timing_shows_a_loss_within_30_s_and_recovers() -> None:
    clock, probe = Clock(), Switch()
    monitor = HealthMonitor(probes={"database": probe}, every=5.0, timeout=3.0, clock=clock)
    assert not monitor.report().healthy  # nothing checked yet: not healthy by default
    await monitor.poll()
    assert monitor.report().healthy

    # The database goes away just after a poll: the worst case for detection.
    probe.state = "down"
    lost_at = clock.t
    while monitor.report().healthy:
        clock.t += monitor.every  # the loop polls every `every` seconds
        await monitor.poll()
    assert clock.t - lost_at <= monitor.every + monitor.timeout <= BOUND
    report = monitor.report()
    assert report.checks["database"] == Check(False, "ConnectionRefusedError: connection refused")

    probe.state = "up"
    back_at = clock.t
    clock.t += monitor.every
    await monitor.poll()
    assert monitor.report().healthy
    assert clock.t - back_at <= BOUND


async def test_a_probe_that_hangs_is_cut_off_and_a_stale_result_fails() -> None:
    clock, probe = Clock(), Switch()
    monitor = HealthMonitor(probes={"database": probe}, every=5.0, timeout=0.05, clock=clock)
    await monitor.poll()
    probe.state = "hang"
    started = time.perf_counter()
    await monitor.poll()
    assert time.perf_counter() - started < 1.0
    assert monitor.report().checks["database"] == Check(False, "no answer within 0.05 s")

    # A result nobody refreshed (the loop itself stuck) stops counting after stale_after.
    probe.state = "up"
    await monitor.poll()
    assert monitor.report().healthy
    clock.t += monitor.stale_after + 1
    check = monitor.report().checks["database"]
    assert not check.ok
    assert check.detail.startswith("no probe result for")
    assert monitor.stale_after <= BOUND


async def test_monitor_loop_probes_in_the_background_and_caches_between_requests() -> None:
    probe = Switch()
    monitor = HealthMonitor(probes={"database": probe}, every=0.05, timeout=0.05)
    monitor.start()
    try:
        await _until(lambda: monitor.report().healthy, 2.0)
        calls = probe.calls
        for _ in range(200):  # a probe storm
            monitor.report()
        assert probe.calls <= calls + 1
        probe.state = "down"
        await _until(lambda: not monitor.report().healthy, 2.0)
        probe.state = "up"
        await _until(lambda: monitor.report().healthy, 2.0)
    finally:
        await monitor.stop()


async def test_a_failing_instant_check_is_reported_not_raised() -> None:
    def broken() -> Check:
        raise RuntimeError("oops")

    report = HealthMonitor(instant={"gateway": broken}).report()
    assert report.as_json() == {
        "status": "unhealthy",
        "checks": {"gateway": {"ok": False, "detail": "RuntimeError: oops"}},
    }
    assert sample("mentorbot_health_check", check="gateway") == 0


async def _until(condition: Any, timeout: float) -> float:  # noqa: ASYNC109
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


# -- gateway ----------------------------------------------------------------------------------


def fake_client(**overrides: Any) -> SimpleNamespace:
    beat = SimpleNamespace(interval=41.25, _last_recv=100.0)
    ws = SimpleNamespace(open=True, _keep_alive=beat)
    client = SimpleNamespace(
        closed=False, ready=True, latency=0.042, ws=ws, is_closed=None, is_ready=None
    )
    client.is_closed = lambda: client.closed
    client.is_ready = lambda: client.ready
    for key, value in overrides.items():
        setattr(client, key, value)
    return client


def test_gateway_check_reads_ready_socket_and_heartbeats() -> None:
    now = [110.0]
    client = fake_client()
    check = gateway_check(client, grace=10.0, now=lambda: now[0])  # type: ignore[arg-type]
    assert check() == Check(True, "connected, heartbeat latency 42 ms")

    client.ws.open = False
    assert check() == Check(False, "disconnected from the gateway")
    client.ws.open = True

    # Silent for one heartbeat interval plus the grace: the connection is a zombie.
    now[0] = 100.0 + 41.25 + 10.5
    assert check() == Check(False, "nothing from the gateway for 52 s")
    client.ws._keep_alive._last_recv = now[0] - 1
    assert check().ok

    client.ready = False
    assert check() == Check(False, "not connected to the gateway yet")
    client.ready = True
    client.ws = None
    assert check() == Check(False, "disconnected from the gateway")
    client.closed = True
    assert check() == Check(False, "the bot is shut down")


def test_gateway_check_before_the_first_heartbeat() -> None:
    client = fake_client(latency=float("inf"))
    assert gateway_check(client, now=lambda: 100.0)() == Check(True, "connected")  # type: ignore[arg-type]


# -- scheduler --------------------------------------------------------------------------------


def test_scheduler_check_wants_recent_ticks_or_a_pass_in_progress() -> None:
    ticks = Ticks()
    now = [NOW]
    check = scheduler_check(ticks, slack=5.0, now=lambda: now[0])
    assert check() == Check(False, "the scheduler has not started")

    ticks.started_at = NOW
    ticks.intervals = {"planner": 30.0, "sender": 1.0}
    assert check().ok  # just started: nothing is late yet
    now[0] = NOW + timedelta(seconds=9)
    assert check() == Check(False, "sender has not finished a tick for 9 s")
    ticks.last_tick["sender"] = NOW + timedelta(seconds=8)
    assert check() == Check(True, "ticking: planner, sender")

    # The planner is allowed three of its own intervals plus the slack.
    now[0] = NOW + timedelta(seconds=96)
    ticks.last_tick["sender"] = now[0]
    assert check() == Check(False, "planner has not finished a tick for 96 s")
    # A long send pass is busy, not stuck.
    ticks.last_tick["planner"] = now[0]
    now[0] += timedelta(seconds=120)
    ticks.running_since["sender"] = now[0] - timedelta(seconds=119)
    ticks.last_tick["planner"] = now[0]
    assert check().ok
    now[0] += timedelta(hours=1)
    ticks.last_tick["planner"] = now[0]
    assert not check().ok  # ...unless it has run for an hour


def test_scheduler_check_when_this_process_runs_no_scheduler() -> None:
    check = scheduler_check(Ticks(), enabled=False)
    assert check() == Check(True, "off in this process (SCHEDULER_ENABLED=false)")


async def test_real_ticks_record_start_intervals_and_passes() -> None:
    ticks = Ticks()
    started = asyncio.Event()
    release = asyncio.Event()

    async def planner() -> None:
        started.set()
        await release.wait()

    async def sender() -> None:
        return None

    ticks.start(planner, sender, planner_every=30.0)
    try:
        await asyncio.wait_for(started.wait(), 5)
        assert ticks.intervals == {"planner": 30.0, "sender": 1.0}
        assert ticks.started_at is not None
        assert "planner" in ticks.running_since
        release.set()
        await _until(lambda: "planner" in ticks.last_tick and "sender" in ticks.last_tick, 5)
        assert "planner" not in ticks.running_since
        assert scheduler_check(ticks)().ok
    finally:
        await ticks.stop()


# -- database ---------------------------------------------------------------------------------


def test_probe_url_opens_sqlite_read_only_and_leaves_servers_alone(tmp_path: Path) -> None:
    url = probe_url(f"sqlite+aiosqlite:///{tmp_path}/a b.db")
    assert url is not None
    assert url.query == {"mode": "ro", "uri": "true"}
    assert url.database == (tmp_path / "a b.db").as_uri()
    server = probe_url("postgresql+asyncpg://bot:pw@db:5432/mentorbot")
    assert server is not None
    assert (server.host, server.database) == ("db", "mentorbot")
    assert probe_url("sqlite+aiosqlite://") is None
    with pytest.raises(ValueError, match="in-memory"):
        DatabaseProbe("sqlite+aiosqlite://")


@sqlite_only("moving the database folder away is how a SQLite database is lost")
async def test_database_probe_fails_while_the_folder_is_gone_and_recovers(
    make_db_url: MakeDbUrl, tmp_path: Path
) -> None:
    url = await make_db_url()
    probe = DatabaseProbe(url)
    folder, away = tmp_path / "db", tmp_path / "db-away"
    monitor = HealthMonitor(probes={"database": probe}, every=0.05, timeout=1.0)
    monitor.start()
    try:
        await _until(lambda: monitor.report().healthy, 3.0)
        assert monitor.report().checks["database"].detail.startswith("reachable (sqlite")
        folder.rename(away)
        took = await _until(lambda: not monitor.report().healthy, 3.0)
        assert took <= monitor.every + monitor.timeout + 0.5
        detail = monitor.report().checks["database"].detail
        assert detail == "OperationalError: unable to open database file"
        assert not folder.exists()  # the probe created no empty database in its place
        away.rename(folder)
        await _until(lambda: monitor.report().healthy, 3.0)
    finally:
        await monitor.stop()
        await probe.close()
        await _sqlite_threads_gone()


async def test_database_probe_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    probe = DatabaseProbe(f"sqlite+aiosqlite:///{missing}")
    try:
        with pytest.raises(Exception, match="unable to open database file"):
            await probe()
    finally:
        await probe.close()
        await _sqlite_threads_gone()
    assert not missing.exists()


async def _sqlite_threads_gone() -> None:
    """Wait for aiosqlite's worker threads of failed connections to finish with this loop."""
    await _until(
        lambda: not any("_connection_worker_thread" in t.name for t in threading.enumerate()),
        2.0,
    )


async def test_an_in_memory_database_is_probed_through_the_bots_engine(
    db_engine: AsyncEngine,
) -> None:
    # An in-memory URL cannot be opened twice, so the probe borrows the engine it is given.
    probe = DatabaseProbe("sqlite+aiosqlite://", fallback=db_engine)
    assert (await probe()).ok
    await probe.close()  # leaves the bot's engine open
    async with db_engine.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1


# -- the HTTP endpoint ------------------------------------------------------------------------


async def test_healthz_and_metrics_over_http() -> None:
    state = {"gateway": True}
    monitor = HealthMonitor(
        instant={"gateway": lambda: Check(state["gateway"], "as set")},
        probes={"database": Switch()},
        every=60.0,
    )
    await monitor.poll()
    server = HealthServer(monitor, host="127.0.0.1", port=0)
    await server.start()
    try:
        assert server.port > 0
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/healthz") as resp:
                assert resp.status == 200
                body = await resp.json()
            assert body["status"] == "ok"
            assert body["checks"]["database"] == {"ok": True, "detail": "reachable"}
            state["gateway"] = False
            async with http.get(f"{server.url}/healthz") as resp:
                assert resp.status == 503
                body = await resp.json()
            assert body["status"] == "unhealthy"
            assert body["checks"]["gateway"] == {"ok": False, "detail": "as set"}

            metrics.conversation_started("grow")
            async with http.get(f"{server.url}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                text = await resp.text()
            assert 'mentorbot_conversations_started_total{framework="grow"}' in text
            assert 'mentorbot_health_check{check="gateway"} 0.0' in text
            assert 'mentorbot_health_check{check="database"} 1.0' in text
            assert "process_resident_memory_bytes" in text or sys.platform != "linux"
            async with http.get(f"{server.url}/nothing") as resp:
                assert resp.status == 404
    finally:
        await server.stop()


async def test_a_taken_port_fails_loudly() -> None:
    first = HealthServer(HealthMonitor(), port=0)
    await first.start()
    try:
        second = HealthServer(HealthMonitor(), port=first.port)
        with pytest.raises(OSError, match="address already in use"):
            await second.start()
    finally:
        await first.stop()


def test_report_json_shape() -> None:
    report = Report({"a": Check(True, "fine"), "b": Check(False, "broken")})
    assert not report.healthy
    assert report.as_json()["checks"]["b"] == {"ok": False, "detail": "broken"}


# -- metrics ----------------------------------------------------------------------------------


def test_labels_for_commands_and_components_stay_few() -> None:
    data = {
        "name": "debrief",
        "options": [{"type": 1, "name": "schedule", "options": [{"type": 3, "name": "day"}]}],
    }
    assert command_path(data) == "debrief schedule"
    grouped = {
        "name": "a",
        "options": [{"type": 2, "name": "b", "options": [{"type": 1, "name": "c"}]}],
    }
    assert command_path(grouped) == "a b c"
    assert command_path({"name": "help"}) == "help"
    assert custom_id_label("coach:12:skip:3") == "coach:skip"
    assert custom_id_label("debrief:981:start") == "debrief:start"
    assert custom_id_label("coach:12:scale:4") == "coach:scale"
    assert custom_id_label("") == "unknown"


def test_scheduled_dm_outcomes_are_checked() -> None:
    before = sample("mentorbot_scheduled_dms_total", outcome="expired")
    metrics.scheduled_dms("expired", 0)
    metrics.scheduled_dms("expired", 3)
    assert sample("mentorbot_scheduled_dms_total", outcome="expired") == before + 3
    with pytest.raises(ValueError, match="not a settled outcome"):
        metrics.scheduled_dms("lost")


def test_model_metrics_count_calls_and_fallbacks() -> None:
    ok = sample("mentorbot_model_calls_total", outcome="ok")
    timeouts = sample("mentorbot_model_fallbacks_total", reason="timeout")
    metrics.model_call(ok=True)
    metrics.model_fallback("timeout")
    assert sample("mentorbot_model_calls_total", outcome="ok") == ok + 1
    assert sample("mentorbot_model_fallbacks_total", reason="timeout") == timeouts + 1


class Port:
    """A DM port: user 2 has closed DMs; everyone else gets their message."""

    async def open_dm(self, user_id: int) -> int:
        return 900_000 + user_id

    async def send(self, channel_id: int, dm: OutgoingDM, nonce: str) -> int:
        if channel_id == 900_002:
            raise DMClosed()
        return 1


async def test_the_sender_counts_sent_undeliverable_and_expired(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessionmaker) as s:
        for user_id, due in ((1, NOW), (2, NOW), (3, NOW - timedelta(hours=7))):
            m = await repo.get_or_create_member(s, guild_id=1, user_id=user_id, display_name="m")
            await outbox.enqueue(
                s,
                member_id=m.id,
                kind="debrief",
                key="2026-11-23",
                due_at=due,
                expires_at=due + timedelta(hours=6),
            )
    names = ("sent", "undeliverable", "expired")
    before = {n: sample("mentorbot_scheduled_dms_total", outcome=n) for n in names}
    sender = Dispatcher(
        sessionmaker, Port(), Reminders(sessionmaker).compose, clock=FixedClock(NOW), rate=1000
    )
    report = await sender.run_once()
    assert (report.sent, report.undeliverable, report.expired) == (1, 1, 1)
    after = {n: sample("mentorbot_scheduled_dms_total", outcome=n) for n in names}
    assert {n: after[n] - before[n] for n in names} == {n: 1 for n in names}


# -- structured logs --------------------------------------------------------------------------


def test_json_formatter_writes_one_object_per_line_with_extra_fields() -> None:
    logger = logging.getLogger("bot.test")
    record = logger.makeRecord(
        "bot.test",
        logging.WARNING,
        __file__,
        1,
        "member %s did %s",
        (42, "a thing"),
        None,
        extra={"member_id": 42, "guild_id": None, "when": NOW},
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "bot.test"
    assert entry["message"] == "member 42 did a thing"
    assert entry["member_id"] == 42
    assert entry["guild_id"] is None
    assert entry["when"] == str(NOW)
    assert datetime.fromisoformat(entry["timestamp"]).tzinfo is not None
    assert "args" not in entry
    assert "msg" not in entry


def test_json_formatter_keeps_a_traceback_inside_the_line() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad" in entry["exception"]


def test_log_format_json_from_the_environment() -> None:
    code = (
        "import logging; from bot.config import get_settings; from bot.logs import "
        "configure_logging; s = get_settings(); configure_logging(s.log_level, s.log_format); "
        "logging.getLogger('bot.x').info('hello %s', 7, extra={'user_id': 7})"
    )
    env = {**os.environ, "LOG_FORMAT": "JSON", "LOG_LEVEL": "info"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    (line,) = done.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["message"], entry["user_id"], entry["level"]) == ("hello 7", 7, "INFO")
    env["LOG_FORMAT"] = "text"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stderr.strip().endswith("INFO bot.x: hello 7")


@pytest.fixture
def production_logging() -> Any:
    """Apply the library log levels the bot sets at start-up, and restore them afterwards."""
    saved = {name: logging.getLogger(name).level for name in PRIVATE_LOGGERS}
    keep_member_text_out()
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def test_no_member_text_reaches_any_log_record(
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    production_logging: None,
) -> None:
    caplog.set_level(logging.DEBUG)  # even at the chattiest level
    ref = MemberRef(guild_id=5, user_id=77, display_name="Zanzibar Quokka")
    phrases = [
        "periwinkle lighthouse promotion",
        "marmalade accordion visibility",
        "i dont want to be here anymore, thinking about ending it tangerine",
        "I'll practise the xylophone pitch by Friday",
    ]
    service = CoachingService(sessionmaker, Catalogue.load(), clock=FixedClock(NOW))
    turn = await service.start(ref, "grow", topic="the quince topic words")
    for said in phrases:
        turn = await service.reply(turn.session_id, ref.user_id, said)
    turn = await service.command(turn.session_id, ref.user_id, "end")
    assert turn.done

    events = [r for r in caplog.records if r.name == "bot.events"]
    assert {getattr(r, "event", None) for r in events} == {
        "conversation_started",
        "conversation_finished",
        "safety_flag",
    }
    assert all(getattr(r, "member_id", None) for r in events)
    lines = [JsonFormatter().format(r).lower() for r in caplog.records]
    words = ["zanzibar", "quokka", "periwinkle", "marmalade", "tangerine", "xylophone", "quince"]
    assert [(word, line) for word in words for line in lines if word in line] == []


def test_debug_logging_of_sql_and_discord_bodies_stays_off(production_logging: None) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
        assert not logging.getLogger("discord.http").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("discord.gateway").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("discord.webhook.async_").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("openai._base_client").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("bot.events").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger().setLevel(logging.WARNING)
