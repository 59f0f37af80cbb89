"""The real bot with the optional model on, through the fake Discord and a fake model server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import MentorBot
from bot.domain.contract import Exchange, check_exchange
from bot.domain.state import Reply, ReplyKind
from tests.conversations import SCRIPTS
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, bot_settings
from tests.e2e.test_bot_coaching import start_grow
from tests.services import fake_openai as fo
from tests.services.fake_openai import FakeOpenAI

RECAP = "You named the promotion you want and chose to ask your manager for a stretch project."


@pytest.fixture
async def model_server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def bot_with_model(
    fake: FakeDiscord, data_dir: Path, model: FakeOpenAI, timeout: float = 2.0
) -> MentorBot:
    settings = bot_settings(fake, data_dir).model_copy(
        update={
            "openai_base_url": model.base_url,
            "openai_model": "fake-model",
            "openai_timeout": timeout,
        }
    )
    return MentorBot(settings)


def coach_lines(content: str) -> list[str]:
    """The message without its header line."""
    return content.split("\n", 1)[1].strip().split("\n\n")


async def test_a_good_model_answer_reaches_the_member_personalised(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    tmp_path: Path,
    model_server: FakeOpenAI,
) -> None:
    bot = await run_bot.start(bot_with_model(fake_discord, tmp_path, model_server))
    assert bot.model is not None
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    assert model_server.requests == []  # no topic: the first question is the built-in one

    said = SCRIPTS["grow"][0]
    start = len(fake_discord.requests)
    reply = await alice.say(said)
    assert fo.GOOD_REFLECTION in reply["content"]
    assert fo.GOOD_QUESTION in reply["content"]
    posted = [r for r in fake_discord.requests[start:] if r.matches("POST", r"/messages$")]
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in posted)
    (seen,) = model_server.requests
    assert said in seen.messages[1]["content"]
    replies = [
        Reply(ReplyKind.REFLECTION, fo.GOOD_REFLECTION),
        Reply(ReplyKind.QUESTION, fo.GOOD_QUESTION),
    ]
    assert check_exchange(Exchange(said, replies)) == []
    assert bot.model.stats.accepted == 1


async def test_bad_model_answers_never_reach_the_member(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    tmp_path: Path,
    model_server: FakeOpenAI,
) -> None:
    model_server.rotate(fo.bad_answers())
    bot = await run_bot.start(bot_with_model(fake_discord, tmp_path, model_server))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    seen: list[str] = []
    for answer in SCRIPTS["grow"]:
        seen.append((await alice.say(answer))["content"])
    assert "finished" in seen[-1]
    text = "\n".join(seen)
    for bad in fo.bad_texts():
        assert bad not in text
    assert bot.model is not None
    assert bot.model.stats.accepted == 0
    assert bot.model.stats.fallback_total >= len(SCRIPTS["grow"]) - 2


async def test_coach_end_is_acknowledged_before_a_slow_model_writes_the_summary(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    tmp_path: Path,
    model_server: FakeOpenAI,
) -> None:
    await run_bot.start(bot_with_model(fake_discord, tmp_path, model_server, timeout=4.0))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    model_server.script([fo.good()])
    await alice.say(SCRIPTS["grow"][0])
    # Longer than Discord's 3 seconds: only a deferral before the call keeps the command alive.
    model_server.script([fo.slow(3.2, fo.summary(RECAP))])

    start = len(fake_discord.requests)
    began = time.monotonic()
    ack = await alice.slash("coach", "end")
    assert ack.type == 5
    assert ack.elapsed < 3.0
    summary = await alice.next_message(alice.dm, start, timeout=10.0)
    assert time.monotonic() - began >= 3.0
    assert RECAP in summary["content"]
    assert SCRIPTS["grow"][0] in summary["content"]  # the built-in list stays under it
    done = await ack.next_webhook(timeout=5.0)
    assert "summary" in done.json["content"].lower()
