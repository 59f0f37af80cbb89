"""Asking which conversation to continue when one is already under way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.db.models import CoachingSession
    from cogs.coaching import Coaching


class ChooseConversation(discord.ui.View):
    """Two buttons: continue the open conversation, or pause it and start the new one."""

    def __init__(
        self, cog: Coaching, active: CoachingSession, framework_id: str, topic: str | None
    ) -> None:
        super().__init__(timeout=600)
        self.cog = cog
        self.active = active
        self.framework_id = framework_id
        self.topic = topic
        self.title = cog.service.framework(active.framework_id).title
        new_title = cog.service.framework(framework_id).title
        self.carry_on.label = f"Continue {self.title}"[:80]
        self.start_new.label = f"Pause it and start {new_title}"[:80]

    def prompt(self) -> str:
        """The question put to the member."""
        return (
            f"You already have a {self.title} conversation under way. "
            "Which one would you like to continue?"
        )

    @discord.ui.button(style=discord.ButtonStyle.primary, custom_id="choose:continue")
    async def carry_on(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        """Continue the open conversation where it is."""
        self.stop()
        await interaction.response.edit_message(
            content="Carrying on with your open conversation.", view=None
        )
        turn = await self.cog.service.resume(self.active.id, interaction.user.id)
        where = await self.cog.deliver(interaction, self.active.channel_id, turn)
        await interaction.followup.send(f"Here it is: {where}", ephemeral=True)

    @discord.ui.button(style=discord.ButtonStyle.secondary, custom_id="choose:new")
    async def start_new(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        """Pause the open conversation and start the requested one."""
        self.stop()
        await self.cog.service.command(self.active.id, interaction.user.id, "pause")
        await self.cog.begin(interaction, self.framework_id, self.topic)
