"""The fake gateway: handshake, heartbeats, resumes, reconnects and events the client parses."""

from __future__ import annotations

import asyncio
import math

import discord
import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner

RESUME = 6


class EchoClient(discord.Client):
    """Echo every human DM, so a test can see which events got through."""

    def __init__(self) -> None:
        """Use the default intents, which include DMs and guild messages."""
        super().__init__(intents=discord.Intents.default())

    async def on_message(self, message: discord.Message) -> None:
        """Answer a DM in the same channel."""
        if not message.author.bot and message.guild is None:
            await message.channel.send(f"echo: {message.content}")


def sends_to(channel_id: str) -> str:
    """Return the path regex of message sends to one channel."""
    return rf"^/channels/{channel_id}/messages$"


async def test_handshake_uses_json_and_heartbeats_are_acked(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    client = await run_bot.start(EchoClient())

    ops = [payload["op"] for payload in fake_discord.gateway.received]
    assert ops[:2] == [1, 2]
    assert fake_discord.gateway.connections[0]["encoding"] == "json"
    # discord.py's latency stays infinite until a heartbeat is ACKed.
    assert math.isfinite(client.latency)
    assert fake_discord.gateway.wants(1 << 12)


@pytest.mark.parametrize("how", ["drop", "reconnect"])
async def test_events_sent_while_away_arrive_after_resume(
    fake_discord: FakeDiscord, run_bot: BotRunner, how: str
) -> None:
    fake = fake_discord
    await run_bot.start(EchoClient())
    dm_id = fake.dm_channel_id(fake.user)

    if how == "drop":
        await fake.drop_gateway()
    else:
        await fake.gateway.send_reconnect()
    await fake.dispatch("MESSAGE_CREATE", fake.make_dm_message(fake.user, "while away"))
    await fake.gateway.received.wait_for(lambda payload: payload["op"] == RESUME, timeout=5.0)
    await fake.gateway.wait_live()
    sent = await fake.wait_for_request(lambda r: r.matches("POST", sends_to(dm_id)))

    assert sent.json["content"] == "echo: while away"
    assert len(fake.gateway.connections) == 2


async def test_guild_message_reaches_the_client_as_a_member(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(EchoClient())
    waiter = asyncio.create_task(client.wait_for("message", check=lambda m: m.guild is not None))

    await fake.dispatch("MESSAGE_CREATE", fake.make_guild_message(fake.user, fake.channel_id, "hi"))
    message = await asyncio.wait_for(waiter, 2.0)

    assert isinstance(message.author, discord.Member)
    assert message.author.id == int(fake.user["id"])
    assert message.channel.id == int(fake.channel_id)
    assert fake.requests.matching(lambda r: r.method == "POST") == []


async def test_own_messages_come_back_over_the_gateway(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(EchoClient())
    channel = client.get_channel(int(fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    waiter = asyncio.create_task(client.wait_for("message"))

    sent = await channel.send("hello")
    echoed = await asyncio.wait_for(waiter, 2.0)

    assert echoed.id == sent.id
    assert echoed.author == client.user


async def test_configured_world_reaches_the_client(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    bob = fake.add_user("bob")
    second = fake.add_guild("Second", members=[bob], channels=("lobby", "mentors"))
    role = fake.add_role(fake.guild_id, "Mentor", members=[fake.user])
    intents = discord.Intents.default()
    intents.members = True
    client = await run_bot.start(discord.Client(intents=intents))

    guild = client.get_guild(int(fake.guild_id))
    other = client.get_guild(int(second["id"]))
    assert guild is not None
    assert other is not None
    assert [c.name for c in other.text_channels] == ["lobby", "mentors"]
    assert fake.channel_named("mentors", second["id"])["id"] == str(other.text_channels[1].id)
    alice = guild.get_member(int(fake.user["id"]))
    assert alice is not None
    assert [r.name for r in alice.roles] == ["@everyone", "Mentor"]
    assert str(guild.get_role(int(role["id"]))) == "Mentor"
    # Guild.chunk sends opcode 8; the fake answers with one GUILD_MEMBERS_CHUNK.
    assert len(await guild.chunk()) == 3
