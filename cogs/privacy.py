"""Privacy for members: see, share, export and erase their own data, and nobody else's."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.tree import report_error
from bot.ui import privacy as words
from bot.ui.messages import NO_PINGS

if TYPE_CHECKING:
    from re import Match

    from bot.client import MentorBot

log = logging.getLogger(__name__)
DMS_CLOSED_CODE = 50007
# How long a button press may wait for the erasure before answering; Discord allows 3 s.
ERASE_WAIT = 2.0
OnOff = Literal["on", "off"]


def server_namer(bot: discord.Client) -> Any:
    """Name servers for replies; one the bot no longer sees keeps its id."""

    def name_of(guild_id: int) -> str:
        guild = bot.get_guild(guild_id)
        return guild.name if guild is not None else f"a server I'm no longer in ({guild_id})"

    return name_of


class Privacy(commands.Cog):
    """The /privacy commands."""

    privacy = app_commands.Group(
        name="privacy", description="See, share, download or erase what the bot keeps about you"
    )

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot
        self.erase_wait = ERASE_WAIT

    @privacy.command(name="show", description="What I keep about you and who can see it")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Counts of what is kept, who sees what, and the sharing choices."""
        summary = await self.bot.privacy.summary(interaction.user.id)
        text = words.show_text(summary, server_namer(self.bot))
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @privacy.command(name="share", description="Choose what this server's mentors may see")
    @app_commands.describe(
        progress="Mentors see your stress scores, goals and commitments (on) or not (off)",
        transcripts="Mentors may read what you and the coach said (on) or not (off)",
    )
    async def share(
        self,
        interaction: discord.Interaction[Any],
        progress: OnOff | None = None,
        transcripts: OnOff | None = None,
    ) -> None:
        """Turn progress or transcript sharing on or off; in DMs, for every server."""
        if progress is None and transcripts is None:
            raise UserFacingError(
                "Tell me what to change: progress, transcripts or both, each on or off. "
                "/privacy show tells you where they stand now."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        changed = await self.bot.privacy.share(
            interaction.user.id,
            guild_id=interaction.guild_id,
            display_name=interaction.user.display_name,
            progress=None if progress is None else progress == "on",
            transcripts=None if transcripts is None else transcripts == "on",
        )
        in_dm = interaction.guild_id is None
        text = words.share_text(changed, server_namer(self.bot), in_dm=in_dm)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @privacy.command(name="export", description="Get a file of everything I keep about you, by DM")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """Build the JSON export and send it to the member's DMs."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.privacy.export(interaction.user.id)
        name, content = words.export_file(
            data, interaction.filesize_limit, self.bot.clock.now().date()
        )
        text = (
            "Here is everything I keep about you, in every server and in DMs, as JSON. "
            "Only you have this file."
        )
        try:
            dm = interaction.user.dm_channel or await interaction.user.create_dm()
            sent = await dm.send(
                text, file=discord.File(io.BytesIO(content), name), allowed_mentions=NO_PINGS
            )
        except discord.Forbidden as exc:
            if exc.code != DMS_CLOSED_CODE:
                raise
            await interaction.followup.send(words.DMS_CLOSED_EXPORT, ephemeral=True)
            return
        await interaction.followup.send(
            f"I've sent your data to your direct messages: {sent.jump_url}", ephemeral=True
        )

    @privacy.command(name="delete", description="Erase everything I keep about you")
    async def delete(self, interaction: discord.Interaction[Any]) -> None:
        """Ask for confirmation with Delete everything / Keep my data buttons."""
        summary = await self.bot.privacy.summary(interaction.user.id)
        if summary.total == 0:
            await interaction.response.send_message(words.NOTHING_KEPT, ephemeral=True)
            return
        view = discord.ui.View(timeout=None)
        view.add_item(PrivacyButton(interaction.user.id, "delete"))
        view.add_item(PrivacyButton(interaction.user.id, "keep"))
        await interaction.response.send_message(
            words.delete_prompt(summary), view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )

    async def on_button(
        self, interaction: discord.Interaction[Any], owner_id: int, action: str
    ) -> None:
        """Erase or keep, only for the member who asked."""
        if interaction.user.id != owner_id:
            log.warning(
                "user %s pressed the privacy button of user %s", interaction.user.id, owner_id
            )
            await interaction.response.send_message(words.NOT_YOURS, ephemeral=True)
            return
        if action == "keep":
            await interaction.response.edit_message(content=words.KEPT, view=None)
            return
        erasing = asyncio.ensure_future(self.bot.privacy.erase(owner_id))
        finished, _ = await asyncio.wait({erasing}, timeout=self.erase_wait)
        if not finished:
            # Behind a queue of writes: acknowledge now, report when it is done.
            await interaction.response.edit_message(content=words.ERASING, view=None)
        try:
            text = words.erased_text(await erasing)
        except Exception:
            # The unit of work rolled back: nothing was erased, and the member is told so.
            log.exception("erasing the data of user %s failed", owner_id)
            text = words.ERASE_FAILED
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.edit_message(content=text, view=None)


class PrivacyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"privacy:(?P<action>delete|keep):(?P<user>[0-9]+)",
):
    """Delete everything or Keep my data, bound to the member who ran /privacy delete."""

    def __init__(self, user_id: int, action: str) -> None:
        if action == "delete":
            label, style = "Delete everything", discord.ButtonStyle.danger
        else:
            label, style = "Keep my data", discord.ButtonStyle.secondary
        custom_id = f"privacy:{action}:{user_id}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.user_id, self.action = user_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> PrivacyButton:
        """Rebuild the button from its custom_id, also after a restart."""
        return cls(int(match["user"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the press to the cog; every failure gets a private reply."""
        cog: Any = interaction.client.get_cog("Privacy")
        try:
            await cog.on_button(interaction, self.user_id, self.action)
        except Exception as exc:
            await report_error(interaction, exc)


async def setup(bot: MentorBot) -> None:
    """Load the cog and its persistent buttons."""
    await bot.add_cog(Privacy(bot))
    bot.add_dynamic_items(PrivacyButton)
