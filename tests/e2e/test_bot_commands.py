"""Every coaching command, its errors, and command sync, through the fake Discord."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.client import MentorBot
from bot.services.coaching import CoachingService
from tests.conversations import SCRIPTS
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, bot_settings, custom_ids, make_bot
from tests.e2e.test_bot_coaching import EPHEMERAL, start_grow


@pytest.fixture
async def alice(fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path) -> Member:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    return Member(fake_discord, fake_discord.user)


async def test_help_explains_the_bot_and_its_limits(alice: Member) -> None:
    ack = await alice.slash("help")
    assert ack.type == 4
    assert ack.data["flags"] & EPHEMERAL
    embed = ack.data["embeds"][0]
    assert "not therapy" in embed["description"]
    assert "emergency service" in embed["description"]
    assert "/coach start" in embed["fields"][0]["value"]


async def test_frameworks_lists_every_framework(alice: Member) -> None:
    ack = await alice.slash("coach", "frameworks")
    fields = ack.data["embeds"][0]["fields"]
    names = " ".join(f["name"] for f in fields)
    for framework_id in ("grow", "solution_focused", "feedback_sandwich", "stress_debrief"):
        assert f"({framework_id})" in names


async def test_unknown_framework_is_a_private_error(alice: Member) -> None:
    ack = await alice.slash("coach", "start", framework="nope")
    assert ack.type == 4
    assert ack.data["flags"] & EPHEMERAL
    assert "no framework called 'nope'" in ack.data["content"]
    assert "grow" in ack.data["content"]


async def test_start_inside_the_dm_runs_the_conversation_there(alice: Member) -> None:
    ack = await alice.slash("coach", "start", in_dm=True, framework="stress_debrief")
    assert ack.type == 5
    assert not ack.data.get("flags", 0) & EPHEMERAL
    first = await ack.next_webhook()
    assert "10" in first.json["content"]
    assert any(":scale:" in c for c in custom_ids(first.response))

    start = len(alice.fake.requests)
    picked = await alice.press(first.response, r":scale:", values=["7"])
    assert picked.type == 7
    after = await alice.next_message(alice.dm, start)
    assert "7 out of 10" in after["content"]


async def test_choice_menu_answers_the_stressor_question(alice: Member) -> None:
    started = await alice.slash("coach", "start", in_dm=True, framework="stress_debrief")
    await started.next_webhook()
    reply = None
    for answer in SCRIPTS["stress_debrief"][:3]:
        reply = await alice.say(answer)
    assert reply is not None
    assert any(":choice:" in c for c in custom_ids(reply))
    start = len(alice.fake.requests)
    await alice.press(reply, r":choice:", values=["work", "health"])
    after = await alice.next_message(alice.dm, start)
    assert "work and health" in after["content"].lower()


async def test_resume_and_end_commands(alice: Member) -> None:
    await start_grow(alice)
    await alice.say(SCRIPTS["grow"][0])
    paused = await alice.say("pause")
    assert "paused" in paused["content"].lower()

    start = len(alice.fake.requests)
    ack = await alice.slash("coach", "resume")
    resumed = await alice.next_message(alice.dm, start)
    assert "Welcome back" in resumed["content"]
    note = await ack.next_webhook()
    assert "Picked up" in note.json["content"]

    start = len(alice.fake.requests)
    ack = await alice.slash("coach", "end")
    ended = await alice.next_message(alice.dm, start)
    assert SCRIPTS["grow"][0] in ended["content"]
    assert "Ended" in (await ack.next_webhook()).json["content"]

    ack = await alice.slash("coach", "end")
    error = await ack.next_webhook()
    assert "no open coaching conversation" in error.json["content"]
    assert error.json["flags"] & EPHEMERAL


async def test_a_dm_without_a_conversation_gets_a_hint(alice: Member) -> None:
    reply = await alice.say("hello?")
    assert "/coach start" in reply["content"]


async def test_starting_while_another_server_conversation_is_open_asks_which(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    other = fake_discord.add_guild("Managers Circle", members=[fake_discord.user])
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    await alice.say(SCRIPTS["grow"][0])

    ack = await alice.slash("coach", "start", guild=other, framework="feedback_sandwich")
    assert ack.type == 5
    assert ack.data["flags"] & EPHEMERAL
    asked = await ack.next_webhook()
    assert "GROW" in asked.json["content"]
    choice = fake_discord.state.find_message(asked.response["id"])
    assert choice is not None

    start = len(fake_discord.requests)
    await alice.press(choice, r"^choose:new$")
    first = await alice.next_message(alice.dm, start)
    assert "Feedback" in first["content"]
    answer = await alice.say(SCRIPTS["feedback_sandwich"][0])
    assert "mock interview" in answer["content"]


async def test_an_unexpected_error_gets_an_apology_and_a_log_line(
    alice: Member, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(CoachingService, "start", broken)
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        ack = await alice.slash("coach", "start", framework="grow")
        apology = await ack.next_webhook()
    assert "Sorry, something went wrong" in apology.json["content"]
    assert apology.json["flags"] & EPHEMERAL
    assert "database on fire" in caplog.text


async def test_an_expired_interaction_is_only_logged(
    alice: Member, caplog: pytest.LogCaptureFixture
) -> None:
    alice.fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback$", 404, code=10062)
    with caplog.at_level(logging.WARNING, logger="bot.tree"):
        payload = alice.fake.make_slash_interaction(
            alice.user, alice.fake.guild_id, alice.fake.channel_id, "help"
        )
        await alice.fake.dispatch("INTERACTION_CREATE", payload)
        await alice.fake.wait_for_request(lambda r: r.status == 404)
        # The bot then has nothing left to do: the next slash command still works.
        await alice.slash("help")
    assert "expired before it was answered" in caplog.text
    assert "Traceback" not in caplog.text
    followups = [r for r in alice.fake.requests if r.path.startswith("/webhooks/")]
    assert followups == []


async def test_global_sync_happens_once_per_change(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    settings = bot_settings(fake_discord, tmp_path).model_copy(update={"discord_guild_id": None})
    bot = await run_bot.start(MentorBot(settings))
    puts = [r for r in fake_discord.requests if r.matches("PUT", r"/applications/\d+/commands$")]
    assert len(puts) == 1
    names = {c["name"] for c in puts[0].json}
    assert names == {c.name for c in bot.tree.get_commands()}
    assert {"coach", "debrief", "commitments", "help", "setup"} <= names
    contexts = {c["name"]: c.get("contexts") for c in puts[0].json}
    # Member commands work in the server and the DM; server administration only in the server.
    assert contexts["coach"] == contexts["help"] == [0, 1]
    assert contexts["setup"] == [0]

    await run_bot.restart(bot, MentorBot(settings))
    puts = [r for r in fake_discord.requests if r.matches("PUT", r"/applications/\d+/commands$")]
    assert len(puts) == 1
