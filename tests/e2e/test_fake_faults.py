"""Injected failures and invalid bodies, as the real discord.py client experiences them."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.spec import SpecValidator


def bare_client() -> discord.Client:
    """Return a client with no handlers: these tests call the REST API directly."""
    return discord.Client(intents=discord.Intents.default())


def sends_to(channel_id: str) -> str:
    """Return the path regex of message sends to one channel."""
    return rf"^/channels/{channel_id}/messages$"


async def text_channel(fake: FakeDiscord, client: discord.Client) -> discord.TextChannel:
    """Return the fake's default channel from the client's cache."""
    channel = client.get_channel(int(fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    return channel


@pytest.mark.parametrize("global_", [False, True])
async def test_rate_limited_send_is_retried_after_retry_after(
    fake_discord: FakeDiscord, run_bot: BotRunner, global_: bool
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    fault = fake.fail_next(
        "POST", sends_to(fake.channel_id), 429, retry_after=0.25, global_=global_
    )
    loop = asyncio.get_running_loop()

    started = loop.time()
    await (await text_channel(fake, client)).send("hello")
    elapsed = loop.time() - started

    sends = fake.requests.matching(lambda r: r.matches("POST", sends_to(fake.channel_id)))
    assert [r.status for r in sends] == [429, 200]
    assert len(fake.messages_in(fake.channel_id)) == 1
    assert fault.hits == 1
    assert elapsed >= 0.25


async def test_closed_dms_surface_as_forbidden_50007(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    dm_id = fake.dm_channel_id(fake.user)
    fake.fail_next("POST", sends_to(dm_id), 403)
    user = await client.fetch_user(int(fake.user["id"]))

    with pytest.raises(discord.Forbidden) as caught:
        await user.send("weekly check-in")

    assert caught.value.status == 403
    assert caught.value.code == 50007
    assert caught.value.text == "Cannot send messages to this user"
    # Exactly one attempt: retrying a closed DM is how bots get banned.
    assert len(fake.requests.matching(lambda r: r.matches("POST", sends_to(dm_id)))) == 1
    assert fake.messages_in(dm_id) == []


async def test_server_error_is_retried(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    fake.fail_next("POST", sends_to(fake.channel_id), 500)

    message = await (await text_channel(fake, client)).send("hello")

    sends = fake.requests.matching(lambda r: r.matches("POST", sends_to(fake.channel_id)))
    assert [r.status for r in sends] == [500, 200]
    assert [m["id"] for m in fake.messages_in(fake.channel_id)] == [str(message.id)]


@pytest.mark.parametrize(
    ("body", "violation"),
    [
        ({"content": "x" * 2001}, r"content has 2001 characters, limit 2000"),
        ({"content": "ok", "tts": "yes"}, r"\$\.tts: 'yes' is not of type 'boolean', 'null'"),
        (
            {"embeds": [{"title": "t", "description": "d" * 4096}, {"description": "d" * 2000}]},
            r"embeds total 6097 characters, limit 6000",
        ),
    ],
)
async def test_invalid_body_is_detected_and_rejected(
    fake_discord: FakeDiscord,
    run_bot: BotRunner,
    spec_validator: SpecValidator,
    body: dict[str, object],
    violation: str,
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    fake.expect_violation(violation)
    route = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=fake.channel_id
    )

    with pytest.raises(discord.HTTPException) as caught:
        await client.http.request(route, json=body)

    assert caught.value.status == 400
    assert caught.value.code == 50035
    assert fake.violation_report() == []
    assert fake.messages_in(fake.channel_id) == []


async def test_unknown_route_is_a_violation(
    fake_discord: FakeDiscord, run_bot: BotRunner, spec_validator: SpecValidator
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    fake.expect_violation(r"GET /no/such/route: no such operation in spec")

    with pytest.raises(discord.NotFound):
        await client.http.request(discord.http.Route("GET", "/no/such/route"))


async def test_wrong_token_is_refused(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    with pytest.raises(discord.LoginFailure):
        await run_bot.start(bare_client(), token="not-the-token")


def test_violation_report_flags_unexpected_and_missing() -> None:
    fake = FakeDiscord()
    fake.violations += ["POST /a: content has 2001 characters, limit 2000", "PUT /b: broken"]
    fake.expect_violation(r"content has \d+ characters")
    fake.expect_violation(r"never happens")

    assert fake.violation_report() == [
        "PUT /b: broken",
        "expected a violation matching 'never happens'; none occurred",
    ]
