"""/progress: a member's own goals, commitments, conversations, streak and stress chart."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import progress as maths
from bot.services.progress import CommitmentItem, Progress
from bot.ui.charts import stress_chart
from bot.ui.messages import BRAND

if TYPE_CHECKING:
    from bot.client import MentorBot

FIELD_LIMIT = 1024  # Discord's limit for one embed field
CHART_FILE = "stress.png"
SHOWN = 5


def _bullets(lines: list[str], limit: int = SHOWN) -> str:
    """Up to `limit` bullets that fit one embed field, saying how many more there are."""
    out: list[str] = []
    used = 0
    for line in lines[:limit]:
        item = f"• {line[:200]}"
        if used + len(item) + 30 > FIELD_LIMIT:
            break
        out.append(item)
        used += len(item) + 1
    if len(lines) > len(out):
        out.append(f"…and {len(lines) - len(out)} more")
    return "\n".join(out)


def _commitment(item: CommitmentItem, progress: Progress) -> str:
    if item.due_date is None:
        return item.text
    late = " (past its date)" if item.due_date < progress.today else ""
    return f"{item.text} - by {item.due_date:%a %d %b}{late}"


def _stress_lines(progress: Progress, own: bool) -> str:
    streak = progress.streak
    weeks = "week" if streak == 1 else "weeks"
    lines = [f"Debrief streak: {streak} {weeks} in a row" if streak else "No debrief streak yet"]
    latest = progress.latest_stress
    if latest is None:
        lines.append(
            "No weekly stress scores yet" + (": `/debrief now` records one." if own else ".")
        )
    else:
        day, score = latest
        lines.append(f"Latest stress score: {score}/10 (week of {day:%d %b})")
        lines.append(f"Trend: {maths.describe_trend(progress.trend)}")
    return "\n".join(lines)


def progress_embed(
    progress: Progress,
    framework_title: Callable[[str], str],
    *,
    title: str,
    note: str,
    own: bool = True,
) -> discord.Embed:
    """Goals, commitments, conversations by framework and the weekly debrief, as an embed.

    `own` is the member looking at their own progress: empty parts suggest a next step.
    """
    embed = discord.Embed(title=title, description=note, colour=BRAND)
    embed.add_field(
        name="Active goals",
        value=_bullets(progress.goals)
        or ("None yet: a GROW conversation (`/coach start`) can set one." if own else "None."),
        inline=False,
    )
    embed.add_field(
        name="Open commitments",
        value=_bullets([_commitment(c, progress) for c in progress.open_commitments])
        or "None open right now.",
        inline=False,
    )
    done = progress.completed
    finished = f"{done} done" if done else "None marked done yet."
    if progress.recently_completed:
        finished += "; most recent:\n" + _bullets([c.text for c in progress.recently_completed])
    embed.add_field(name="Completed commitments", value=finished[:FIELD_LIMIT], inline=False)
    talks = [f"{framework_title(f)}: {n}" for f, n in progress.sessions_by_framework]
    embed.add_field(
        name="Conversations by framework",
        value=_bullets(talks, limit=10)
        or ("No conversations yet: try `/coach start`." if own else "None yet."),
        inline=False,
    )
    embed.add_field(name="Weekly debrief", value=_stress_lines(progress, own), inline=False)
    return embed


async def send_progress(
    interaction: discord.Interaction[Any],
    progress: Progress,
    framework_title: Callable[[str], str],
    *,
    title: str,
    note: str,
    chart_title: str,
    own: bool = True,
) -> None:
    """Follow up a deferred interaction privately with the embed and the stress chart."""
    embed = progress_embed(progress, framework_title, title=title, note=note, own=own)
    extra: dict[str, Any] = {}
    if progress.stress:
        # Drawing takes a CPU-bound tenth of a second or more: keep it off the event loop.
        png = await asyncio.to_thread(stress_chart, progress.stress, progress.trend, chart_title)
        extra["file"] = discord.File(io.BytesIO(png), filename=CHART_FILE)
        embed.set_image(url=f"attachment://{CHART_FILE}")
    await interaction.followup.send(embed=embed, ephemeral=True, **extra)


class ProgressCog(commands.Cog, name="Progress"):
    """A member's own progress."""

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot

    def framework_title(self, framework_id: str) -> str:
        """The framework's short name ("GROW"), or its id when it is no longer installed."""
        catalogue = self.bot.catalogue
        if framework_id not in catalogue:
            return framework_id
        return catalogue.get(framework_id).title.split(":")[0]

    @app_commands.command(
        name="progress",
        description="Your goals, commitments, debrief streak and stress chart (only you see it)",
    )
    async def progress(self, interaction: discord.Interaction[Any]) -> None:
        """Show the member their own progress, privately; in DMs from every server."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.progress.own(
            interaction.user.id, interaction.guild_id, interaction.user.display_name
        )
        if interaction.guild_id is None:
            note = "From every server where you talk with me, and our direct messages."
        else:
            note = "From this server and our direct messages (other servers stay separate)."
        if found.is_empty:
            note += (
                "\n\nNothing recorded yet. Start a conversation with `/coach start` or a weekly "
                "debrief with `/debrief now`, and your progress will build up here."
            )
        await send_progress(
            interaction,
            found,
            self.framework_title,
            title="Your progress",
            note=note,
            chart_title="Your weekly stress",
        )


async def setup(bot: MentorBot) -> None:
    """Load the cog."""
    await bot.add_cog(ProgressCog(bot))
