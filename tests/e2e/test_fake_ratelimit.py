"""Discord's global rate limit and the per-channel message bucket, as the fake enforces them."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.rawhttp import bare_client
from tests.e2e.rawhttp import post_message as post

SEND = r"^/channels/\d+/messages$"
DISCORD_GLOBAL_RATE = 50


def admitted_sends(fake: FakeDiscord) -> list[float]:
    """Return when the fake let each message post through, in order."""
    sends = fake.requests.matching(lambda r: r.matches("POST", SEND) and r.status == 200)
    return sorted(r.at for r in sends)


async def test_limits_are_off_by_default(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    answers = await asyncio.gather(
        *(post(session, fake, fake.channel_id, {"content": f"n{i}"}) for i in range(120))
    )

    assert {status for status, _, _ in answers} == {200}
    assert not any("X-RateLimit-Bucket" in headers for _, _, headers in answers)
    assert (fake.global_429s, fake.bucket_429s) == (0, 0)
    assert fake.message_counts() == {fake.channel_id: 120}


async def test_over_the_global_limit_is_answered_429_global(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    fake.set_global_rate(5)
    for i in range(5):
        assert (await post(session, fake, fake.channel_id, {"content": f"n{i}"}))[0] == 200

    status, body, headers = await post(session, fake, fake.channel_id, {"content": "sixth"})

    assert status == 429
    assert body["global"] is True
    assert 0 < body["retry_after"] <= 1.0
    assert headers["Via"]  # discord.py treats a 429 without Via as a Cloudflare ban
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert headers["Retry-After"] == "1"
    assert headers["Content-Type"] == "application/json"
    assert fake.global_429s == 1
    assert len(fake.messages_in(fake.channel_id)) == 5

    await asyncio.sleep(body["retry_after"])
    assert (await post(session, fake, fake.channel_id, {"content": "sixth"}))[0] == 200


async def test_global_limit_is_per_token_and_spares_interactions(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    other_token, _ = fake.add_bot("otherbot")
    fake.set_global_rate(2)
    for _ in range(3):
        await post(session, fake, fake.channel_id, {"content": "ours"})

    other, _, _ = await post(session, fake, fake.channel_id, {"content": "x"}, token=other_token)
    callback = f"{fake.api_base}/interactions/1/no-such-token/callback"
    async with session.post(callback, json={"type": 1}) as response:
        interaction_status = response.status

    assert other == 200
    assert interaction_status == 404  # unknown interaction, not rate limited
    assert fake.global_429s == 1


async def test_global_rate_can_be_set_when_building_the_fake(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(global_rate=3.0) as fake:
        answers = [await post(session, fake, fake.channel_id, {"content": "x"}) for _ in range(4)]

    assert [status for status, _, _ in answers] == [200, 200, 200, 429]


@pytest.mark.parametrize("channels", [1, 40])
async def test_discord_py_rides_out_the_global_limit(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    caplog: pytest.LogCaptureFixture,
    channels: int,
) -> None:
    fake = fake_discord
    users = [fake.add_user(f"member{i}") for i in range(channels)]
    client = await run_bot.start(bare_client())
    # Stored DM channel ids: one request per message, as the outbox sender does.
    targets = [
        client.get_partial_messageable(
            int(fake.dm_channel_id(user)), type=discord.ChannelType.private
        )
        for user in users
    ]
    fake.set_global_rate(DISCORD_GLOBAL_RATE)
    loop = asyncio.get_running_loop()

    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="discord.http"):
        await asyncio.gather(
            *(targets[i % channels].send(f"check-in {i}", nonce=f"outbox-{i}") for i in range(120))
        )
    elapsed = loop.time() - started

    times = admitted_sends(fake)
    assert len(times) == 120
    assert sum(fake.message_counts().values()) == 120
    assert fake.duplicate_messages("nonce") == {}
    assert fake.global_429s > 0
    assert "Global rate limit has been hit" in caplog.text
    # Messages 1, 51 and 101 open three one-second windows, so 100 sends take at least 2 s.
    rate = 100 / (times[100] - times[0])
    assert 40 <= rate <= DISCORD_GLOBAL_RATE
    assert elapsed < 4.0


async def test_message_bucket_sends_headers_and_429s_per_channel(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    fake.set_message_bucket(2, per=0.5)
    answers = [await post(session, fake, fake.channel_id, {"content": "x"}) for _ in range(3)]
    other_channel = await post(session, fake, fake.dm_channel_id(fake.user), {"content": "x"})

    (s1, _, h1), (s2, _, h2), (s3, b3, h3) = answers
    assert (s1, s2, s3) == (200, 200, 429)
    assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"]) == ("2", "1")
    assert h2["X-RateLimit-Remaining"] == "0"
    assert 0 < float(h2["X-RateLimit-Reset-After"]) <= 0.5
    assert h1["X-RateLimit-Bucket"] == h2["X-RateLimit-Bucket"]
    assert float(h1["X-RateLimit-Reset"]) > 1e9  # epoch seconds
    assert b3["global"] is False
    assert 0 < b3["retry_after"] <= 0.5
    assert (h3["X-RateLimit-Scope"], h3["Via"]) == ("user", "1.1 google")
    assert "X-RateLimit-Global" not in h3
    assert other_channel[0] == 200
    assert fake.bucket_429s == 1
    assert fake.global_429s == 0

    await asyncio.sleep(b3["retry_after"])
    status, _, headers = await post(session, fake, fake.channel_id, {"content": "x"})
    assert (status, headers["X-RateLimit-Remaining"]) == (200, "1")


async def test_discord_py_waits_for_the_message_bucket_before_429(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    channel = client.get_partial_messageable(int(fake.channel_id))
    fake.set_message_bucket(5, per=0.5)
    loop = asyncio.get_running_loop()

    started = loop.time()
    await asyncio.gather(*(channel.send(f"n{i}") for i in range(12)))
    elapsed = loop.time() - started

    assert len(fake.messages_in(fake.channel_id)) == 12
    # The headers let discord.py wait out each window instead of running into the 429.
    assert fake.bucket_429s == 0
    assert elapsed >= 1.0
