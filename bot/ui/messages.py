"""Send coach turns and other bot messages to Discord, never pinging anyone."""

from __future__ import annotations

from typing import Any

import discord

from bot.domain.frameworks import Catalogue
from bot.services.coaching import CoachTurn
from bot.ui.components import coach_view
from bot.ui.render import turn_messages

NO_PINGS = discord.AllowedMentions.none()
BRAND = discord.Colour.from_rgb(88, 166, 140)
DMS_CLOSED = (
    "I couldn't send you a direct message: your DMs are closed to this server. To open them, "
    "click the server name, then Privacy Settings, and turn on Direct Messages; then run "
    "/coach resume. Or carry on here in a private thread that only you and I can see:"
)


async def send_turn(channel: discord.abc.Messageable, turn: CoachTurn) -> discord.Message:
    """Send a turn as one or more messages, components on the last; return the last message."""
    in_thread = isinstance(channel, discord.Thread)
    view = coach_view(turn, in_thread=in_thread)
    chunks = turn_messages(turn)
    message: discord.Message | None = None
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        if last and view is not None:
            message = await channel.send(chunk, view=view, allowed_mentions=NO_PINGS)
        else:
            message = await channel.send(chunk, allowed_mentions=NO_PINGS)
    assert message is not None
    return message


async def send_turn_followup(interaction: discord.Interaction[Any], turn: CoachTurn) -> None:
    """Send a turn as follow-up messages to an acknowledged interaction."""
    in_thread = isinstance(interaction.channel, discord.Thread)
    view = coach_view(turn, in_thread=in_thread)
    chunks = turn_messages(turn)
    for i, chunk in enumerate(chunks):
        if i == len(chunks) - 1 and view is not None:
            await interaction.followup.send(chunk, view=view, allowed_mentions=NO_PINGS)
        else:
            await interaction.followup.send(chunk, allowed_mentions=NO_PINGS)


def frameworks_embed(catalogue: Catalogue) -> discord.Embed:
    """One embed listing every framework: id, title and purpose."""
    embed = discord.Embed(
        title="Coaching frameworks",
        description=(
            "Start one with /coach start. Each is a series of questions; the answers are yours."
        ),
        colour=BRAND,
    )
    for fw in catalogue.listed()[:25]:
        embed.add_field(name=f"{fw.title} ({fw.id})"[:256], value=fw.purpose[:1024], inline=False)
    return embed
