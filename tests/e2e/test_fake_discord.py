"""Drive a tiny real discord.py bot through the fake Discord: commands, buttons, modals, DMs."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.payloads import EPHEMERAL
from tests.e2e.webhooks import LOADING, MESSAGE, MODAL, UPDATE_MESSAGE


class PressButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"ping:(?P<n>\d+)"
):
    """Count presses in the custom_id, so the button survives a restart."""

    def __init__(self, presses: int) -> None:
        """Render the button for a press count."""
        super().__init__(discord.ui.Button(label=f"Pressed {presses}", custom_id=f"ping:{presses}"))
        self.presses = presses

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[discord.ui.View],
        match: re.Match[str],
    ) -> PressButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Edit the message in place with the next count."""
        view = discord.ui.View(timeout=None).add_item(PressButton(self.presses + 1))
        await interaction.response.edit_message(content=f"pong x{self.presses + 1}", view=view)


class GoalModal(discord.ui.Modal, title="Set a goal"):
    """Ask for one goal."""

    goal: discord.ui.TextInput[GoalModal] = discord.ui.TextInput(
        label="Your goal", custom_id="goal"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Confirm the goal privately."""
        await interaction.response.send_message(f"Noted: {self.goal.value}", ephemeral=True)


@app_commands.command(description="Check that the bot answers")
async def ping(interaction: discord.Interaction) -> None:
    """Answer privately with a button."""
    view = discord.ui.View(timeout=None).add_item(PressButton(0))
    await interaction.response.send_message("pong", view=view, ephemeral=True)


@app_commands.command(description="Set a goal")
async def goal(interaction: discord.Interaction) -> None:
    """Open the goal modal."""
    await interaction.response.send_modal(GoalModal())


@app_commands.command(description="Answer after a pause")
async def slow(interaction: discord.Interaction, delay: float) -> None:
    """Wait, defer, then fill in the deferred answer."""
    await asyncio.sleep(delay)
    await interaction.response.defer(thinking=True)
    await interaction.edit_original_response(content=f"done after {delay}s")


class TinyBot(commands.Bot):
    """A bot small enough to read in one go."""

    def __init__(self) -> None:
        """Use the default intents, which include DMs."""
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default())

    async def setup_hook(self) -> None:
        """Register the persistent button and sync the commands globally."""
        self.add_dynamic_items(PressButton)
        self.tree.add_command(ping)
        self.tree.add_command(goal)
        self.tree.add_command(slow)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        """Echo DMs without letting the text ping anyone."""
        if message.author.bot or message.guild is not None:
            return
        await message.author.send(
            f"echo: {message.content}", allowed_mentions=discord.AllowedMentions.none()
        )


async def test_login_and_ready(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    bot = await run_bot.start(TinyBot())

    assert bot.user is not None
    assert str(bot.user.id) == fake_discord.application_id
    guild = bot.get_guild(int(fake_discord.guild_id))
    assert guild is not None
    assert guild.get_channel(int(fake_discord.channel_id)) is not None
    assert fake_discord.gateway.connections[0]["encoding"] == "json"
    assert fake_discord.gateway.connections[0]["v"] == "10"
    synced = {c["name"] for c in fake_discord.state.commands[None]}
    assert synced == {"ping", "goal", "slow"}


async def test_slash_command_is_acknowledged_in_time(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    await run_bot.start(TinyBot())
    payload = fake_discord.make_slash_interaction(
        fake_discord.user, fake_discord.guild_id, fake_discord.channel_id, "ping"
    )

    ack = await fake_discord.interact(payload)

    assert ack.type == MESSAGE
    assert ack.elapsed < 3.0
    assert ack.data["content"] == "pong"
    assert ack.data["flags"] & EPHEMERAL
    assert ack.message is not None
    assert ack.message["components"][0]["components"][0]["custom_id"] == "ping:0"


async def test_button_edits_the_message(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    ack = await fake.interact(
        fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "ping")
    )
    assert ack.message is not None

    click = await fake.interact(fake.make_component_interaction(fake.user, ack.message, "ping:0"))

    assert click.type == UPDATE_MESSAGE
    assert ack.message["content"] == "pong x1"
    assert ack.message["components"][0]["components"][0]["custom_id"] == "ping:1"


async def test_button_still_works_after_a_restart(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    first = await run_bot.start(TinyBot())
    ack = await fake.interact(
        fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "ping")
    )
    ids_before = [c["id"] for c in fake.state.commands[None]]
    assert ack.message is not None

    await run_bot.restart(first, TinyBot())
    click = await fake.interact(fake.make_component_interaction(fake.user, ack.message, "ping:0"))

    assert click.type == UPDATE_MESSAGE
    assert ack.message["content"] == "pong x1"
    assert [c["id"] for c in fake.state.commands[None]] == ids_before
    assert len(fake.gateway.connections) == 2


async def test_modal_opens_and_submits(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    opened_by = fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "goal")

    opened = await fake.interact(opened_by)
    submitted = await fake.interact(
        fake.make_modal_submit(opened_by, {"goal": "Ask one open question"})
    )

    assert opened.type == MODAL
    assert opened.data["title"] == "Set a goal"
    assert submitted.type == MESSAGE
    assert submitted.data["content"] == "Noted: Ask one open question"


async def test_deferred_answer_arrives_by_editing_the_original(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    ack = await fake.interact(
        fake.make_slash_interaction(fake.user, None, None, "slow", {"delay": 0.0})
    )

    edit = await ack.next_webhook()

    assert ack.type == 5
    assert edit.method == "PATCH"
    assert edit.path.endswith("/messages/@original")
    assert ack.message is not None
    assert ack.message["content"] == "done after 0.0s"
    assert not ack.message["flags"] & LOADING


async def test_late_acknowledgement_is_caught(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    fake.ack_deadline = 0.2
    fake.expect_violation(r"acknowledged after")
    payload = fake.make_slash_interaction(fake.user, fake.guild_id, None, "slow", {"delay": 0.4})

    with pytest.raises(AssertionError, match=r"not acknowledged within 0\.2s"):
        await fake.interact(payload)
    late = await fake.wait_for_request(lambda r: r.path.endswith("/callback"), timeout=2.0)

    assert late.status == 404
    assert late.response["code"] == 10062


async def test_dm_is_echoed_without_mentions(fake_discord: FakeDiscord, run_bot: BotRunner) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    dm_id = fake.dm_channel_id(fake.user)

    await fake.dispatch("MESSAGE_CREATE", fake.make_dm_message(fake.user, "hello @everyone"))
    sent = await fake.wait_for_request(
        lambda r: r.matches("POST", rf"^/channels/{dm_id}/messages$")
    )

    assert sent.json["content"] == "echo: hello @everyone"
    assert sent.json["allowed_mentions"] == {"parse": []}
    # The bot's own echo comes back over the gateway and must not be echoed again.
    await asyncio.sleep(0.1)
    assert [m["author"]["bot"] for m in fake.messages_in(dm_id)] == [False, True]


async def test_runner_restores_discord_urls(fake_discord: FakeDiscord) -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with BotRunner(fake_discord) as runner:
        assert fake_discord.api_base == discord.http.Route.BASE
        await runner.start(TinyBot())

    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


async def test_original_of_a_button_press_is_the_pressed_message(
    fake_discord: FakeDiscord, run_bot: BotRunner, session: aiohttp.ClientSession
) -> None:
    await run_bot.start(TinyBot())
    fake = fake_discord
    ack = await fake.interact(
        fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "ping")
    )
    assert ack.message is not None
    click = await fake.interact(fake.make_component_interaction(fake.user, ack.message, "ping:0"))

    # After an in-place update, @original names the message the button is on, as on Discord.
    url = f"{fake.api_base}/webhooks/{fake.application_id}/{click.record.payload['token']}"
    async with session.patch(f"{url}/messages/@original", json={"content": "later"}) as resp:
        assert resp.status == 200
        assert (await resp.json())["id"] == ack.message["id"]
    assert ack.message["content"] == "later"
