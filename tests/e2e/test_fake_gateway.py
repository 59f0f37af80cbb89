"""The fake gateway: handshake, heartbeats, resumes, reconnects, shards and parsed events."""

from __future__ import annotations

import asyncio
import math
import time

import aiohttp
import discord
import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.gateway import INVALID_SHARD, shard_of
from tests.e2e.harness import BotRunner
from tests.e2e.payloads import Json

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


def guild_on_shard(fake: FakeDiscord, shard: int, count: int) -> Json:
    """Add guilds until one lands on `shard` (a snowflake's shard follows its millisecond)."""
    for _ in range(200):
        guild = fake.add_guild(f"Guild on shard {shard}")
        if shard_of(guild["id"], count) == shard:
            return guild
        time.sleep(0.001)
    raise AssertionError(f"no guild id fell on shard {shard} of {count}")


class ShardClient(EchoClient):
    """An echo client running one shard of several, noting every message it receives."""

    def __init__(self, shard_id: int, shard_count: int) -> None:
        """Identify as one shard of `shard_count`."""
        discord.Client.__init__(
            self, intents=discord.Intents.default(), shard_id=shard_id, shard_count=shard_count
        )
        self.seen: list[str] = []
        self.interactions: list[discord.Interaction] = []

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Note the interaction; nobody answers it here."""
        self.interactions.append(interaction)

    async def on_message(self, message: discord.Message) -> None:
        """Note the message, then echo DMs."""
        self.seen.append(message.content)
        await super().on_message(message)


async def test_each_shard_gets_its_own_guilds_and_dms_go_to_shard_zero(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    guilds = [guild_on_shard(fake, shard, 2) for shard in (0, 1)]
    zero = await run_bot.start(ShardClient(0, 2))
    one = await run_bot.start(ShardClient(1, 2))

    assert sorted(fake.gateway.sessions) == [0, 1]
    identified = [p["d"]["shard"] for p in fake.gateway.received if p["op"] == 2]
    assert identified == [[0, 2], [1, 2]]
    assert zero.shard_id == 0
    assert one.shard_id == 1
    # Every guild reaches exactly the shard its id maps to, the fake's own guild included.
    for client, shard in ((zero, 0), (one, 1)):
        expected = {int(g) for g in fake.state.guilds if shard_of(g, 2) == shard}
        assert {g.id for g in client.guilds} == expected
    assert guilds[0]["id"] in {str(g.id) for g in zero.guilds}
    assert guilds[1]["id"] in {str(g.id) for g in one.guilds}

    # A DM goes to shard 0 only; shard 1 hears nothing of it.
    dm_id = fake.dm_channel_id(fake.user)
    before = fake.gateway.sessions[1].dispatched
    echoed = asyncio.create_task(zero.wait_for("message", check=lambda m: m.author.bot))
    await fake.dispatch("MESSAGE_CREATE", fake.make_dm_message(fake.user, "to shard zero"))
    sent = await fake.wait_for_request(lambda r: r.matches("POST", sends_to(dm_id)))
    assert sent.json["content"] == "echo: to shard zero"
    await asyncio.wait_for(echoed, 2.0)
    assert zero.seen == ["to shard zero", "echo: to shard zero"]
    assert fake.gateway.sessions[1].dispatched == before
    assert one.seen == []

    # A message in the guild on shard 1 reaches shard 1 only.
    channel = fake.state.guilds[guilds[1]["id"]].channel_ids[0]
    heard = asyncio.create_task(one.wait_for("message"))
    await fake.dispatch("MESSAGE_CREATE", fake.make_guild_message(fake.user, channel, "guild"))
    assert (await asyncio.wait_for(heard, 2.0)).content == "guild"
    assert "guild" not in zero.seen


async def test_dm_and_guild_interactions_follow_the_same_routing(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    guild = guild_on_shard(fake, 1, 2)
    zero = await run_bot.start(ShardClient(0, 2))
    one = await run_bot.start(ShardClient(1, 2))
    channel = fake.state.guilds[guild["id"]].channel_ids[0]
    in_guild = fake.make_slash_interaction(fake.user, guild["id"], channel, "ping")
    in_dm = fake.make_slash_interaction(fake.user, None, fake.dm_channel_id(fake.user), "ping")
    assert fake.gateway.shard_for(in_guild) == 1
    assert fake.gateway.shard_for(in_dm) == 0
    await fake.dispatch("INTERACTION_CREATE", in_guild)
    await fake.dispatch("INTERACTION_CREATE", in_dm)
    for _ in range(100):
        if zero.interactions and one.interactions:
            break
        await asyncio.sleep(0.02)
    assert [i.guild_id for i in one.interactions] == [int(guild["id"])]
    assert [i.guild_id for i in zero.interactions] == [None]


async def test_a_shard_outside_the_count_is_refused(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(fake_discord.gateway.url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        identify = {"token": fake_discord.token, "intents": 0, "properties": {}, "shard": [2, 2]}
        await ws.send_json({"op": 2, "d": identify})
        closed = await ws.receive()
    assert closed.type is aiohttp.WSMsgType.CLOSE
    assert closed.data == INVALID_SHARD
    assert fake_discord.gateway.sessions == {}


class AutoShardedEcho(discord.AutoShardedClient):
    """Every shard Discord advises, in one client, without the 5 s pause between IDENTIFYs."""

    def __init__(self) -> None:
        """Let the gateway's advice choose the shard count."""
        super().__init__(intents=discord.Intents.default())

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once: the fake has no IDENTIFY rate limit."""


async def test_an_auto_sharded_client_connects_every_advised_shard(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    fake.gateway.recommended_shards = 3
    guilds = [guild_on_shard(fake, shard, 3) for shard in (1, 2)]
    client = await run_bot.start(AutoShardedEcho(), timeout=10)

    assert client.shard_count == 3
    await fake.gateway.wait_shards(3)
    assert sorted(fake.gateway.sessions) == [0, 1, 2]
    assert {str(g.id) for g in client.guilds} == set(fake.state.guilds)
    assert {client.get_guild(int(g["id"])).shard_id for g in guilds} == {1, 2}  # type: ignore[union-attr]
