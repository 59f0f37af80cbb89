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
# Grouped so each embed field stays well inside Discord's 1,024-character limit.
COMMANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Coaching",
        (
            ("/coach start", "start a conversation in your DMs (pick a framework, add a topic)"),
            ("/coach resume", "carry on a paused conversation"),
            ("/coach end", "end the current conversation with a summary of what you said"),
            ("/coach frameworks", "what each framework is for"),
            ("/debrief schedule|now|pause|resume|off", "your weekly stress debrief by DM"),
            ("/commitments", "the steps you chose, to mark done or drop"),
            ("/progress", "goals, commitments, debrief streak and stress chart (only you see it)"),
        ),
    ),
    (
        "Office hours",
        (
            ("/officehours join|leave|queue", "take a place in the queue, leave it, or see it"),
            ("/officehours remind on|off", "a DM an hour before weekly office hours"),
        ),
    ),
    (
        "Your data",
        (
            ("/privacy show", "what I keep about you and who can see it"),
            ("/privacy share", "whether mentors see your progress (and, separately, transcripts)"),
            ("/privacy export|delete", "get everything as a file, or erase it all"),
        ),
    ),
    (
        "Mentors and administrators",
        (
            ("/dashboard [member] [export]", "the cohort at a glance, one member who shares, CSV"),
            ("/officehours open|next|close|schedule", "run office hours in a channel"),
            ("/setup", "administrators: choose the mentor role, alerts channel, crisis lines"),
            ("/help", "this message"),
        ),
    ),
)
IN_CONVERSATION = (
    "Answer by typing in the DM. The buttons under each question let you skip it, pause "
    "(your answers are kept) or end with a summary; you can also type skip, back, pause, end "
    "or help."
)


def help_embed() -> discord.Embed:
    """What the bot is, what it is not, and its commands."""
    embed = discord.Embed(title="Mentoring coach", description=ABOUT, colour=BRAND)
    for section, commands_in in COMMANDS:
        value = "\n".join(f"`{c}` {what}" for c, what in commands_in)
        embed.add_field(name=section, value=value, inline=False)
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
