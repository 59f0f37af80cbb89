"""Coaching conversations over slash commands, DMs and private threads."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.services.coaching import CoachTurn, MemberRef
from bot.tree import report_error
from bot.ui.choose import ChooseConversation
from bot.ui.components import AnswerModal
from bot.ui.messages import DMS_CLOSED, frameworks_embed, send_turn, send_turn_followup
from bot.ui.threads import ThreadButton, open_private_thread

if TYPE_CHECKING:
    from bot.client import MentorBot

log = logging.getLogger(__name__)
NO_CONVERSATION_HINT = (
    "There is no coaching conversation open here. Start one with /coach start, "
    "or carry on a paused one with /coach resume."
)


def member_ref(interaction: discord.Interaction[Any]) -> MemberRef:
    """Who is acting, scoped to the server (0 in DMs)."""
    user = interaction.user
    return MemberRef(
        guild_id=interaction.guild_id or 0, user_id=user.id, display_name=user.display_name
    )


class Coaching(commands.Cog):
    """Start, continue and end coaching conversations."""

    coach = app_commands.Group(
        name="coach", description="Coaching conversations that ask rather than tell"
    )

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot
        self.service = bot.coaching

    async def framework_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the loaded frameworks that match what was typed."""
        typed = current.lower()
        return [
            app_commands.Choice(name=f"{fw.title}"[:100], value=fw.id)
            for fw in self.service.catalogue.listed()
            if typed in fw.id or typed in fw.title.lower()
        ][:25]

    @coach.command(name="start", description="Start a coaching conversation in your DMs")
    @app_commands.describe(
        framework="Which framework to follow (see /coach frameworks)",
        topic="What you would like to talk about, in a few words",
    )
    @app_commands.autocomplete(framework=framework_autocomplete)
    async def start(
        self,
        interaction: discord.Interaction[Any],
        framework: str,
        topic: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Start a conversation, asking first if another one is already under way."""
        fw = self.service.framework(framework, listed_only=True)
        # Acknowledge before touching the database: a busy moment must not cost the deadline.
        await interaction.response.defer(ephemeral=interaction.guild is not None, thinking=True)
        active = await self.service.active_conversation(interaction.user.id)
        if active is not None:
            view = ChooseConversation(self, active, fw.id, topic)
            await interaction.followup.send(view.prompt(), view=view, ephemeral=True)
            return
        await self.begin(interaction, fw.id, topic)

    async def begin(
        self, interaction: discord.Interaction[Any], framework_id: str, topic: str | None
    ) -> None:
        """Open the conversation and deliver its first question where the member can answer."""
        in_dm = interaction.guild is None
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=not in_dm, thinking=True)
        if in_dm:
            # Already in the DM: the conversation happens right here.
            turn = await self.service.start(
                member_ref(interaction),
                framework_id,
                topic=topic,
                channel_id=interaction.channel_id,
            )
            await send_turn_followup(interaction, turn)
            return
        dm = interaction.user.dm_channel or await interaction.user.create_dm()
        # The channel is stored before the first question goes out, so a quick answer lands.
        turn = await self.service.start(
            member_ref(interaction), framework_id, topic=topic, channel_id=dm.id
        )
        try:
            first = await send_turn(dm, turn)
        except discord.Forbidden as exc:
            if exc.code != 50007:
                raise
            view = discord.ui.View(timeout=None)
            view.add_item(ThreadButton(turn.session_id))
            await interaction.followup.send(DMS_CLOSED, view=view, ephemeral=True)
            return
        await interaction.followup.send(
            f"I've sent you a direct message to begin {turn.framework_title}: {first.jump_url}",
            ephemeral=True,
        )

    @coach.command(name="resume", description="Carry on your paused coaching conversation")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Resume the newest open conversation where it is held."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.service.latest_open_for_user(interaction.user.id)
        turn = await self.service.resume(found.id, interaction.user.id)
        where = await self.deliver(interaction, found.channel_id, turn)
        await interaction.followup.send(f"Picked up where you left off: {where}", ephemeral=True)

    @coach.command(name="end", description="End your current coaching conversation with a summary")
    async def end(self, interaction: discord.Interaction[Any]) -> None:
        """End the newest open conversation and send its summary."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.service.latest_open_for_user(interaction.user.id)
        turn = await self.service.command(found.id, interaction.user.id, "end")
        where = await self.deliver(interaction, found.channel_id, turn)
        await interaction.followup.send(f"Ended. Your summary is here: {where}", ephemeral=True)

    @coach.command(name="frameworks", description="List the coaching frameworks you can start")
    async def frameworks(self, interaction: discord.Interaction[Any]) -> None:
        """Show every framework with its purpose."""
        await interaction.response.send_message(
            embed=frameworks_embed(self.service.catalogue), ephemeral=True
        )

    async def deliver(
        self, interaction: discord.Interaction[Any], channel_id: int | None, turn: CoachTurn
    ) -> str:
        """Send a turn to the conversation's channel (the DM when unknown); return a link."""
        channel: Any = self.bot.get_channel(channel_id) if channel_id else None
        if channel is None and channel_id:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                channel = None
        if channel is None:
            channel = interaction.user.dm_channel or await interaction.user.create_dm()
            await self.service.set_channel(turn.session_id, interaction.user.id, channel.id)
        message = await send_turn(channel, turn)
        return message.jump_url

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Take a typed answer in a DM (or a private thread when message content is readable)."""
        if message.author.bot or not message.content:
            return
        if message.guild is not None and not isinstance(message.channel, discord.Thread):
            return
        found = await self.service.open_in_channel(message.author.id, message.channel.id)
        if found is None:
            if message.guild is None:
                await message.channel.send(NO_CONVERSATION_HINT)
            return
        try:
            async with message.channel.typing():
                turn = await self.service.reply(found.id, message.author.id, message.content)
        except UserFacingError as exc:
            await message.channel.send(str(exc))
            return
        await send_turn(message.channel, turn)

    async def on_action(
        self, interaction: discord.Interaction[Any], session_id: int, action: str, turn_no: int
    ) -> None:
        """Handle a Skip, Pause, End, Resume or Answer press."""
        try:
            if action == "answer":
                current = await self.service.current(session_id, interaction.user.id)
                modal = AnswerModal(session_id, turn_no, current.question)
                await interaction.response.send_modal(modal)
                return
            # Acknowledge at once by taking the buttons off the pressed message.
            await interaction.response.edit_message(view=None)
            if action == "resume":
                turn = await self.service.resume(session_id, interaction.user.id)
            else:
                turn = await self.service.command(
                    session_id, interaction.user.id, action, turn_no=turn_no
                )
            await send_turn_followup(interaction, turn)
        except Exception as exc:
            await report_error(interaction, exc)

    async def on_answer(
        self, interaction: discord.Interaction[Any], session_id: int, turn_no: int, text: str
    ) -> None:
        """Handle an answer from a menu or the answer form."""
        try:
            if interaction.message is not None:
                await interaction.response.edit_message(view=None)
            else:
                await interaction.response.defer()
            turn = await self.service.reply(session_id, interaction.user.id, text, turn_no=turn_no)
            await send_turn_followup(interaction, turn)
        except Exception as exc:
            await report_error(interaction, exc)

    async def move_to_thread(self, interaction: discord.Interaction[Any], session_id: int) -> None:
        """Carry a conversation on in a private thread when DMs are closed."""
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            current = await self.service.current(session_id, interaction.user.id)
            thread = await open_private_thread(interaction)
            await self.service.set_channel(session_id, interaction.user.id, thread.id)
            await send_turn(thread, current.turn)
            await interaction.followup.send(f"Let's carry on in {thread.mention}.", ephemeral=True)
        except Exception as exc:
            await report_error(interaction, exc)


async def setup(bot: MentorBot) -> None:
    """Load the cog."""
    await bot.add_cog(Coaching(bot))
