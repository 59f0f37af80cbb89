"""General commands: /help."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.messages import BRAND

if TYPE_CHECKING:
    from bot.client import MentorBot

ABOUT = (
    "I'm a coach that asks questions rather than giving answers. I follow proven coaching "
    "frameworks, give your own words back to you, and ask the next open question, so that "
    "you find your own way forward. Your goals and commitments are kept so you can look back "
    "on them.\n\n"
    "**I am an AI coach: not therapy, not medical advice and not an emergency service.** "
    "If you are in danger or thinking about harming yourself, contact your local emergency "
    "number or a crisis line now, and tell someone you trust."
)
COMMANDS = (
    (
        "/coach start",
        "start a conversation in your DMs (pick a framework, add a topic if you like)",
    ),
    ("/coach resume", "carry on a paused conversation"),
    ("/coach end", "end the current conversation with a summary of what you said"),
    ("/coach frameworks", "what each framework is for"),
    ("/privacy show|share|export|delete", "see, share, download or erase what I keep about you"),
    ("/progress", "your goals, commitments, debrief streak and stress chart (only you see it)"),
    (
        "/dashboard [member] [export]",
        "mentors: the cohort at a glance, one sharing member's progress, or a CSV",
    ),
    (
        "/officehours join|leave|queue",
        "office hours: take a place in the queue (I'll ask what you'd like from the session), "
        "leave it, or see your place",
    ),
    ("/officehours remind on|off", "a DM an hour before weekly office hours"),
    (
        "/officehours open|next|close|schedule",
        "mentors: open office hours here, take the next member, close, or set a weekly time",
    ),
    ("/help", "this message"),
)
IN_CONVERSATION = (
    "Answer by typing in the DM. The buttons under each question let you skip it, pause "
    "(your answers are kept) or end with a summary; you can also type skip, back, pause, end "
    "or help."
)


def help_embed() -> discord.Embed:
    """What the bot is, what it is not, and its commands."""
    embed = discord.Embed(title="Mentoring coach", description=ABOUT, colour=BRAND)
    embed.add_field(
        name="Commands", value="\n".join(f"`{c}` {what}" for c, what in COMMANDS), inline=False
    )
    embed.add_field(name="During a conversation", value=IN_CONVERSATION, inline=False)
    return embed


class General(commands.Cog):
    """Help and information."""

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What this coach does and how to use it")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """Explain the bot, its limits and its commands."""
        await interaction.response.send_message(embed=help_embed(), ephemeral=True)


async def setup(bot: MentorBot) -> None:
    """Load the cog."""
    await bot.add_cog(General(bot))
