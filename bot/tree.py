"""The command tree: one place where every slash-command error is handled."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.observability.interactions import OUTCOME_KEY, timed_command

log = logging.getLogger(__name__)
APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again shortly."
UNKNOWN_INTERACTION = 10062


async def tell(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately, whether or not the interaction was acknowledged already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Show a member-facing error, log anything else, and never fail while doing so."""
    original = getattr(error, "original", error)
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        interaction.extras[OUTCOME_KEY] = "expired"
        log.warning("interaction %s expired before it was answered", interaction.id)
        return
    if isinstance(original, UserFacingError):
        interaction.extras[OUTCOME_KEY] = "refused"
        text = str(original)
    else:
        interaction.extras[OUTCOME_KEY] = "error"
        log.error(
            "unhandled error in interaction %s (user %s)",
            interaction.id,
            interaction.user.id,
            exc_info=original,
        )
        text = APOLOGY
    try:
        await tell(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id)


class MentorTree(app_commands.CommandTree[Any]):
    """A command tree whose errors become short private replies."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Handle any error raised by a slash command."""
        await report_error(interaction, error)

    async def _call(self, interaction: discord.Interaction[Any]) -> None:
        """Run a command or autocomplete, timed and counted for /metrics and the log."""
        # discord.py routes every application command and autocomplete through _call.
        async with timed_command(interaction):
            await super()._call(interaction)

    def fingerprint(self, guild: discord.abc.Snowflake | None = None) -> str:
        """A hash of the commands as Discord would receive them, to sync only on change."""
        payload = [cmd.to_dict(self) for cmd in self.get_commands(guild=guild)]
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()
