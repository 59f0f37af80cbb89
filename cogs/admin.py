"""Server set-up for administrators: the mentor role, the alerts channel, crisis resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.services.guilds import GuildSetup

if TYPE_CHECKING:
    from bot.client import MentorBot


def role_ids(interaction: discord.Interaction[Any]) -> list[int]:
    """The caller's role ids in this server (none in a DM), for the mentor check."""
    user = interaction.user
    return [r.id for r in user.roles] if isinstance(user, discord.Member) else []


def describe_setup(setup: GuildSetup) -> str:
    """The stored set-up in words, as the administrator will check it."""
    resources = setup.crisis_resources or "the built-in international default"
    return (
        "Mentor set-up saved.\n"
        f"• Mentor role: <@&{setup.mentor_role_id}> (can use /dashboard and office hours)\n"
        f"• Alerts channel: <#{setup.alerts_channel_id}> (safety alerts, never quoting members)\n"
        f"• Crisis resources given to members: {resources}"
    )


class Admin(commands.Cog):
    """Commands for server administrators."""

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot

    @app_commands.command(name="setup", description="Choose the mentor role and alerts channel")
    @app_commands.describe(
        mentor_role="Members with this role can use mentor commands",
        alerts_channel="Where safety alerts go; mentors should be able to read it",
        crisis_resources="Help lines to give a member in crisis (blank keeps the default)",
    )
    @app_commands.rename(
        mentor_role="mentor-role",
        alerts_channel="alerts-channel",
        crisis_resources="crisis-resources",
    )
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    async def setup(
        self,
        interaction: discord.Interaction[Any],
        mentor_role: discord.Role,
        alerts_channel: discord.TextChannel,
        crisis_resources: str | None = None,
    ) -> None:
        """Store the server's mentor set-up (administrators only)."""
        # Default permissions only hide the command; a server can override them, so check here.
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            raise UserFacingError(
                "Only server administrators (Manage Server permission) can run /setup."
            )
        if mentor_role.is_default():
            raise UserFacingError(
                "@everyone can't be the mentor role: every member would see the dashboard. "
                "Pick a role only mentors have."
            )
        setup = await self.bot.setups.configure(
            interaction.guild_id,
            mentor_role_id=mentor_role.id,
            alerts_channel_id=alerts_channel.id,
            crisis_resources=crisis_resources,
        )
        await interaction.response.send_message(describe_setup(setup), ephemeral=True)


async def setup(bot: MentorBot) -> None:
    """Load the cog."""
    await bot.add_cog(Admin(bot))
