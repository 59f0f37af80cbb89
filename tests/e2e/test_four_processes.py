"""Several bot processes (shards) on one database: sends stay single, the rate stays shared.

Discord sends a guild's events to one shard and every DM to shard 0, so a conversation started
in a server on one shard carries on in DMs on another. Everything a turn needs is in the
database, and on PostgreSQL row locks keep two processes from advancing one conversation.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot import cli
from bot.client import MentorBot, ShardedMentorBot, make_bot, shard_options
from bot.config import Settings, get_settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.domain.frameworks import Catalogue
from bot.errors import StaleAction
from bot.services.coaching import CoachingService, CoachTurn, MemberRef
from bot.services.dispatch import Dispatcher
from tests.e2e.fake import FakeDiscord
from tests.e2e.gateway import shard_of
from tests.e2e.harness import BotRunner
from tests.e2e.killer import seed, statuses
from tests.e2e.member import Member, bot_settings
from tests.e2e.payloads import Json
from tests.fixtures_db import bot_database_env, bot_database_url, postgresql_only, query

PROCESSES = 4
DEBRIEFS = 300
SEND_RATE = 40.0  # the whole bot's budget; each process sends a quarter of it
DISCORD_GLOBAL_LIMIT = 50
POST_MESSAGE = r"^/channels/\d+/messages$"
ALEX = MemberRef(guild_id=1111, user_id=2222, display_name="Alex")


def settings(**env: str) -> Settings:
    """Settings from these environment values only."""
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "options", "processes"),
    [
        ({}, {}, 1),
        ({"shard_id": "2", "shard_count": "4"}, {"shard_id": 2, "shard_count": 4}, 4),
        ({"shard_count": "3"}, {"shard_count": 3}, 1),
        ({"shard_count": " Auto "}, {}, 1),
        ({"shard_id": "", "shard_count": "", "process_count": ""}, {}, 1),
        (
            {"shard_id": "0", "shard_count": "2", "process_count": "3"},
            {"shard_id": 0, "shard_count": 2},
            3,
        ),
    ],
)
def test_shard_settings_choose_discord_options_and_the_send_share(
    env: dict[str, str], options: dict[str, int], processes: int
) -> None:
    chosen = settings(send_rate="40", **env)
    assert shard_options(chosen) == options
    assert chosen.processes == processes
    assert chosen.process_send_rate == pytest.approx(40 / processes)
    assert chosen.runs_shard_zero == (chosen.shard_id in (None, 0))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"shard_id": "4", "shard_count": "4"}, "SHARD_ID must be below SHARD_COUNT (4)"),
        ({"shard_id": "1"}, "SHARD_ID needs SHARD_COUNT"),
        ({"shard_id": "0", "shard_count": "auto"}, "SHARD_ID needs SHARD_COUNT"),
        ({"shard_count": "0"}, "SHARD_COUNT must be at least 1"),
        ({"process_count": "0"}, "greater than or equal to 1"),
    ],
)
def test_shard_settings_that_cannot_work_are_refused_in_words(
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        settings(**env)
    for name, value in env.items():
        monkeypatch.setenv(name.upper(), value)
    get_settings.cache_clear()
    try:
        assert cli.main(["frameworks"]) == 2
    finally:
        get_settings.cache_clear()
    assert message in capsys.readouterr().err


def test_a_process_claims_a_few_seconds_of_sends_at_a_time() -> None:
    """Small claims let every process share a burst; one big claim would starve the others."""
    nothing: Any = None

    def batch(rate: float, lease: float = 60.0) -> int:
        sender = Dispatcher(nothing, nothing, nothing, rate=rate, lease=timedelta(seconds=lease))
        return sender._batch

    # Five seconds of sending, and never more than half the lease.
    assert (batch(10.0), batch(40.0), batch(40.0, lease=2.0)) == (50, 200, 40)


def guild_on_shard(fake: FakeDiscord, shard: int, count: int, members: list[Json]) -> Json:
    """Add guilds until one lands on `shard` (a snowflake's shard follows its millisecond)."""
    for _ in range(200):
        guild = fake.add_guild(f"Guild on shard {shard}", members=members)
        if shard_of(guild["id"], count) == shard:
            return guild
        time.sleep(0.001)
    raise AssertionError(f"no guild id fell on shard {shard} of {count}")


def events_on(fake: FakeDiscord, shard: int, event: str) -> list[Json]:
    """The events of one type the fake sent to a shard's session."""
    frames = (json.loads(frame) for _, frame in fake.gateway.sessions[shard].history)
    return [f["d"] for f in frames if f["t"] == event]


def shard_bot(fake: FakeDiscord, data_dir: Path, shard: int, count: int) -> MentorBot:
    """A bot process running one shard of `count`, on the test's database."""
    settings = bot_settings(fake, data_dir).model_copy(
        update={"shard_id": shard, "shard_count": count}
    )
    return MentorBot(settings)


async def test_a_conversation_started_on_one_shard_carries_on_in_dms_on_shard_zero(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    server = guild_on_shard(fake, 1, 2, [fake.user])
    zero = await run_bot.start(shard_bot(fake, tmp_path, 0, 2))
    one = await run_bot.start(shard_bot(fake, tmp_path, 1, 2))
    assert (zero.shard_id, one.shard_id) == (0, 1)
    # Only the process holding shard 0 syncs the commands.
    syncs = fake.requests.matching(lambda r: r.matches("PUT", r"/commands$"))
    assert len(syncs) == 1
    alice = Member(fake, fake.user)

    # /coach start in the server: shard 1's process answers and sends the first question.
    start = len(fake.requests)
    ack = await alice.slash("coach", "start", guild=server, framework="grow", topic="my team")
    assert ack.type == 5
    first = await alice.next_message(alice.dm, start)
    assert "?" in first["content"]
    assert len(events_on(fake, 1, "INTERACTION_CREATE")) == 1
    assert events_on(fake, 0, "INTERACTION_CREATE") == []

    # Typed answers in the DM reach shard 0 only; its process finds the conversation.
    reply = await alice.say("I want to lead the platform team well")
    assert "lead the platform team" in reply["content"]
    skipped = await alice.press(reply, r":skip:")
    assert skipped.type == 7
    following = await skipped.next_webhook()
    assert following.json["content"].startswith("-# GROW")
    typed = [
        m for m in events_on(fake, 0, "MESSAGE_CREATE") if m["author"]["id"] == alice.user["id"]
    ]
    assert [m["content"] for m in typed] == ["I want to lead the platform team well"]
    assert [i["channel_id"] for i in events_on(fake, 0, "INTERACTION_CREATE")] == [alice.dm]
    dm_events = [frame for _, frame in fake.gateway.sessions[1].history if alice.dm in frame]
    assert dm_events == []

    # Back in the server on shard 1: the conversation is the one shard 0 advanced.
    start = len(fake.requests)
    ended = await alice.slash("coach", "end", guild=server)
    assert ended.type == 5
    assert (await ended.next_webhook()).json["content"].startswith("Ended.")
    summary = await alice.next_message(alice.dm, start)
    assert "lead the platform team" in summary["content"]
    rows = query(
        bot_database_url(tmp_path),
        "SELECT status FROM coaching_sessions ORDER BY id",
    )
    assert rows == [("ended",)]


async def test_one_process_can_run_every_shard(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    server = guild_on_shard(fake, 1, 2, [fake.user])
    bot = make_bot(bot_settings(fake, tmp_path).model_copy(update={"shard_count": 2}))
    assert isinstance(bot, ShardedMentorBot)

    async def at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause between shards: the fake has no IDENTIFY limit."""

    bot.before_identify_hook = at_once  # type: ignore[method-assign]
    await run_bot.start(bot, timeout=10)
    await fake.gateway.wait_shards(2)
    assert bot.shard_count == 2
    assert [p["d"]["shard"] for p in fake.gateway.received if p["op"] == 2] == [[0, 2], [1, 2]]

    alice = Member(fake, fake.user)
    listed = await alice.slash("coach", "frameworks", guild=server)
    assert listed.type == 4
    assert listed.data["flags"] & 64
    assert len(events_on(fake, 1, "INTERACTION_CREATE")) == 1
    reply = await alice.say("hello")
    assert "/coach start" in reply["content"]


def two_processes(url: str) -> tuple[list[Any], list[CoachingService]]:
    """Two coaching services with their own engines and locks, as two processes have."""
    engines = [create_engine(url), create_engine(url)]
    catalogue = Catalogue.load()
    services = [CoachingService(create_sessionmaker(e), catalogue) for e in engines]
    return engines, services


@postgresql_only("several processes on one SQLite file would meet its single-writer lock")
async def test_one_button_pressed_in_two_processes_counts_once(db_url: str) -> None:
    engines, (a, b) = two_processes(db_url)
    try:
        first = await a.start(ALEX, "grow")
        for _ in range(3):  # GROW has four stages: each skip here leaves it open
            assert not first.done
            presses = [
                service.command(first.session_id, ALEX.user_id, "skip", turn_no=first.turn_no)
                for service in (a, b)
            ]
            results = await asyncio.gather(*presses, return_exceptions=True)
            kinds = sorted(type(r).__name__ for r in results)
            assert kinds == ["CoachTurn", "StaleAction"], results
            (first,) = [r for r in results if isinstance(r, CoachTurn)]
            assert any(isinstance(r, StaleAction) for r in results)
    finally:
        for engine in engines:
            await engine.dispose()


@postgresql_only("several processes on one SQLite file would meet its single-writer lock")
async def test_two_messages_taken_in_two_processes_both_count(db_url: str) -> None:
    engines, (a, b) = two_processes(db_url)
    try:
        first = await a.start(ALEX, "grow")
        said = ["I want to lead the platform team", "by the end of June"]
        await asyncio.gather(
            a.reply(first.session_id, ALEX.user_id, said[0]),
            b.reply(first.session_id, ALEX.user_id, said[1]),
        )
        now = await a.current(first.session_id, ALEX.user_id)
        # Neither turn overwrote the other: both moved the conversation on.
        assert now.turn.turn_no == first.turn_no + 2
        members_lines = query(db_url, "SELECT text FROM turns WHERE role = 'member' ORDER BY id")
        assert sorted(line for (line,) in members_lines) == sorted(said)
    finally:
        for engine in engines:
            await engine.dispose()


async def spawn_shard(
    fake: FakeDiscord, data_dir: Path, shard: int, log: Path
) -> asyncio.subprocess.Process:
    """Start `mentorbot run` for one shard of PROCESSES."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway.url,
        "DISCORD_GUILD_ID": fake.guild_id,
        "DATA_DIR": str(data_dir),
        "SHARD_ID": str(shard),
        "SHARD_COUNT": str(PROCESSES),
        "SEND_RATE": str(SEND_RATE),
        "PLANNER_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
        **bot_database_env(data_dir),
    }
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=data_dir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=out,
        )


def busiest_second(times: list[float]) -> int:
    """The most requests in any one-second window."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@postgresql_only("several bot processes share one database only on PostgreSQL")
async def test_four_shard_processes_send_each_debrief_once_within_the_global_limit(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake = fake_discord
    fake.set_global_rate(DISCORD_GLOBAL_LIMIT)
    channels = await seed(fake, tmp_path, DEBRIEFS)
    logs = [tmp_path / f"shard-{i}.log" for i in range(PROCESSES)]
    processes = [await spawn_shard(fake, tmp_path, i, logs[i]) for i in range(PROCESSES)]
    try:
        await fake.gateway.wait_shards(PROCESSES, timeout=30)
        for _ in range(160):
            if not statuses(tmp_path).get("pending", 0):
                break
            await asyncio.sleep(0.25)

        # A DM reaches shard 0 alone, and its process answers it once.
        start = len(fake.requests)
        await fake.dispatch("MESSAGE_CREATE", fake.make_dm_message(fake.user, "hello"))
        dm = fake.dm_channel_id(fake.user)
        await fake.wait_for_request(
            lambda r: r.matches("POST", rf"^/channels/{dm}/messages$"), timeout=10, start=start
        )
        await asyncio.sleep(0.5)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(p.wait(), 20) for p in processes]
    errors = "\n".join(f"--- shard {i}\n{log.read_text()}" for i, log in enumerate(logs))
    assert codes == [0] * PROCESSES, errors
    assert "Traceback" not in errors, errors

    identified = sorted(p["d"]["shard"] for p in fake.gateway.received if p["op"] == 2)
    assert identified == [[i, PROCESSES] for i in range(PROCESSES)]
    assert len(fake.requests.matching(lambda r: r.matches("PUT", r"/commands$"))) == 1

    # Every debrief sent, each member exactly one DM, not one duplicate.
    assert statuses(tmp_path) == {"sent": DEBRIEFS}
    weekly = [
        [m for m in fake.messages_in(c) if "weekly debrief" in m.get("content", "")]
        for c in channels
    ]
    assert [len(messages) for messages in weekly] == [1] * DEBRIEFS
    assert fake.duplicate_messages("nonce") == {}
    replies = [m for m in fake.messages_in(dm) if m["author"]["id"] == fake.application_id]
    assert len(replies) == 1

    # Every process sent its share, and together they kept under Discord's global limit.
    owners = query(
        bot_database_url(tmp_path),
        "SELECT lease_owner, count(*) FROM outbox WHERE kind = 'debrief' GROUP BY lease_owner",
    )
    assert len(owners) == PROCESSES, owners
    sends = [r.at for r in fake.requests if r.matches("POST", POST_MESSAGE) and r.status == 200]
    assert fake.global_429s == 0
    busiest = busiest_second(sends)
    assert busiest <= DISCORD_GLOBAL_LIMIT
    overall = (len(sends) - 1) / (max(sends) - min(sends))
    assert overall <= SEND_RATE * 1.05
    # Four shares: more than any one process may send alone.
    assert busiest > SEND_RATE / PROCESSES
    print(
        f"\n{DEBRIEFS} debriefs, {PROCESSES} processes: {overall:.1f}/s overall, "
        f"busiest second {busiest}, per process {sorted(n for _, n in owners)}"
    )
