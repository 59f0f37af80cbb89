"""Keep the fake honest: its answers must match the response schemas of the official spec."""

from __future__ import annotations

import io

import discord
from discord.ext import commands

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.spec import SpecValidator


class SyncingBot(commands.Bot):
    """Sync one command globally and in the fake's guild, and answer it with a followup."""

    def __init__(self, guild_id: str) -> None:
        """Remember the guild to sync to."""
        super().__init__(command_prefix="!", intents=discord.Intents.default())
        self.guild_id = int(guild_id)

    async def setup_hook(self) -> None:
        """Register /note and sync both scopes."""

        @self.tree.command(description="Write a note")
        async def note(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            await interaction.followup.send("second", ephemeral=True)

        await self.tree.sync()
        self.tree.copy_global_to(guild=discord.Object(self.guild_id))
        await self.tree.sync(guild=discord.Object(self.guild_id))


async def test_every_answer_matches_the_spec(
    fake_discord: FakeDiscord, run_bot: BotRunner, spec_validator: SpecValidator
) -> None:
    fake = fake_discord
    bot = await run_bot.start(SyncingBot(fake.guild_id))
    ack = await fake.interact(
        fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "note")
    )
    await ack.next_webhook()
    channel = await bot.fetch_channel(int(fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello")
    await sent.edit(content="edited")
    upload = await channel.send("notes", file=discord.File(io.BytesIO(b"week 1"), "notes.txt"))
    await channel.create_thread(name="check-in", message=sent)
    await channel.create_thread(name="private", type=discord.ChannelType.private_thread)
    async with channel.typing():
        pass
    user = await bot.fetch_user(int(fake.user["id"]))
    await user.send("hi")
    await sent.delete()
    await bot.fetch_guild(int(fake.guild_id))
    await bot.tree.fetch_commands()

    problems = [
        problem
        for r in fake.requests
        for problem in spec_validator.check_response(r.method, r.path, r.status, r.response)
    ]

    assert problems == [], "\n".join(problems)
    uploaded = fake.requests.matching(lambda r: r.multipart)
    assert [(r.files, r.json["content"]) for r in uploaded] == [(["notes.txt"], "notes")]
    assert upload.attachments[0].filename == "notes.txt"
    assert len(fake.requests) >= 15
