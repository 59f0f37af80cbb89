"""Private threads: where a conversation goes when a member's DMs are closed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.errors import UserFacingError

if TYPE_CHECKING:
    from re import Match

NO_THREADS = (
    "I can't open a private thread in this channel. Please open your DMs to this server "
    "(server name, Privacy Settings, Direct Messages) and run /coach resume."
)


class ThreadButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"coach:(?P<session>[0-9]+):thread",
):
    """Move a conversation into a private thread in the current channel."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Use a private thread",
                style=discord.ButtonStyle.primary,
                custom_id=f"coach:{session_id}:thread",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> ThreadButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Ask the coaching cog to move the conversation."""
        cog: Any = interaction.client.get_cog("Coaching")
        await cog.move_to_thread(interaction, self.session_id)


async def open_private_thread(interaction: discord.Interaction[Any]) -> discord.Thread:
    """Create a private thread for the member in the interaction's channel."""
    channel = interaction.channel
    if not isinstance(channel, discord.TextChannel):
        raise UserFacingError(NO_THREADS)
    try:
        thread = await channel.create_thread(
            name=f"Coaching with {interaction.user.display_name}"[:100],
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=10080,
        )
        await thread.add_user(interaction.user)
    except discord.Forbidden as exc:
        raise UserFacingError(NO_THREADS) from exc
    return thread
