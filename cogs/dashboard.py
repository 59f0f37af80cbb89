"""/dashboard for mentors: the cohort at a glance, one member's shared progress, a CSV export.

One command, named as members will say it: `/dashboard` (the overview), `/dashboard
member:<user>` (one member's shared progress) and `/dashboard export:True` (the CSV).
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot.domain import progress as maths
from bot.errors import UserFacingError
from bot.services.dashboard import Dashboard, MemberRow
from bot.tree import report_error
from bot.ui.charts import cohort_chart
from bot.ui.messages import BRAND
from cogs.admin import role_ids
from cogs.progress import send_progress

if TYPE_CHECKING:
    from re import Match

    from bot.client import MentorBot

CHART_FILE = "cohort.png"
# Ten rows, two extra sections and the figures stay under Discord's 6000 characters a message.
ROW_LIMIT = 250
MAX_SECTIONS = 2
PRIVACY_NOTE = "Only members who share their progress are listed. Transcripts are never shown here."


def server_name(interaction: discord.Interaction[Any]) -> str:
    """The server's name, safe to show in an embed title."""
    return escape_markdown(interaction.guild.name) if interaction.guild else "this server"


def figures_text(d: Dashboard) -> str:
    """The aggregates in words."""
    f = d.figures
    due = f.debriefs_answered + f.debriefs_missed
    people = "person has" if f.members == 1 else "people have"
    debriefs = (
        f"**{maths.format_rate(f.completion)}** answered ({f.debriefs_answered} of {due})"
        if due
        else "none were due"
    )
    # When too few keep their progress private to count them without singling them out.
    scope = "" if f.private_counted else f" The figures below are about those {f.sharing}."
    return "\n".join(
        [
            f"**{f.members}** {people} used the coach here; **{f.sharing}** share their "
            f"progress with mentors.{scope}",
            f"Active: **{f.active_short}** in the last 7 days, **{f.active_long}** in the last 30.",
            f"Weekly debriefs, last 30 days: {debriefs}.",
            f"Commitments, last 30 days: **{f.commitments_made}** made, "
            f"**{f.commitments_completed}** completed.",
            f"Need attention: **{d.attention}**"
            + (" (listed first below)." if d.attention and not d.per_member_hidden else "."),
        ]
    )


def member_line(row: MemberRow) -> str:
    """One person on the list: a few figures when they share, and any reasons for attention."""
    name = f"**{escape_markdown(row.name)}**"
    if not row.shares:
        # Only a safety alert brings someone who does not share onto the list.
        return f"{name} · {'; '.join(row.reasons)} (does not share progress)"[:ROW_LIMIT]
    parts = [name]
    score = row.latest_stress
    parts.append("no recent score" if score is None else f"stress {score}/10")
    still = row.open_commitments or 0
    parts.append(f"{still} open commitment" + ("" if still == 1 else "s"))
    if row.last_active is not None:
        parts.append(f"active {row.last_active:%d %b}")
    line = " · ".join(parts)
    if row.reasons:
        line += "\n  ⚠ " + "; ".join(row.reasons)
    return line[:ROW_LIMIT]


def overview_embeds(d: Dashboard, guild: str) -> list[discord.Embed]:
    """The figures (with any extra sections) and one page of the member list."""
    top = discord.Embed(title=f"Mentor dashboard · {guild}", description=figures_text(d))
    top.colour = BRAND
    for section in d.sections[:MAX_SECTIONS]:
        value = "\n".join(section.lines)[:1024] or "-"
        top.add_field(name=section.title[:256], value=value, inline=False)
    lines = [member_line(row) for row in d.members]
    if d.figures.members == 0:
        lines.append("No one has used the coach in this server yet.")
    elif d.per_member_hidden:
        lines.insert(
            0,
            "Fewer than 5 people here, so details about individual members are hidden; the "
            "totals above still count everyone.",
        )
    elif not lines:
        lines.append(
            "No one shares their progress here yet. Members choose that themselves, with "
            "`/privacy share progress:on`."
        )
    page = d.page
    members = discord.Embed(
        title=f"Members · page {page.number + 1} of {page.pages}",
        description="\n".join(lines)[:4096],
        colour=BRAND,
    )
    members.set_footer(text=PRIVACY_NOTE)
    return [top, members]


def page_view(d: Dashboard) -> discord.ui.View | None:
    """Previous and Next buttons, when there is more than one page."""
    page = d.page
    if page.pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(DashboardPage(d.guild_id, max(page.number - 1, 0), "prev", page.has_previous))
    view.add_item(DashboardPage(d.guild_id, page.number + 1, "next", page.has_next))
    return view


class DashboardPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dash:(?P<guild>[0-9]+):(?P<page>[0-9]+):(?P<step>prev|next)",
):
    """Previous or Next on the dashboard; the mentor role is checked again on every press."""

    def __init__(self, guild_id: int, page: int, step: str, enabled: bool = True) -> None:
        label = "Previous" if step == "prev" else "Next"
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label,
            style=discord.ButtonStyle.secondary,
            custom_id=f"dash:{guild_id}:{page}:{step}",
            disabled=not enabled,
        )
        super().__init__(button)
        self.guild_id, self.page = guild_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> DashboardPage:
        """Rebuild the button from its custom_id, also after a restart."""
        return cls(int(match["guild"]), int(match["page"]), match["step"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the chosen page, after checking the presser still mentors this server."""
        bot: Any = interaction.client
        try:
            if interaction.guild_id != self.guild_id:
                raise UserFacingError("This dashboard belongs to another server.")
            await bot.setups.require_mentor(interaction.guild_id, role_ids(interaction))
            await interaction.response.defer()
            found = await bot.dashboard.overview(self.guild_id, self.page)
            assert interaction.message is not None  # a button always sits on a message
            await interaction.followup.edit_message(
                interaction.message.id,
                embeds=overview_embeds(found, server_name(interaction)),
                view=page_view(found),
            )
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)


class DashboardCog(commands.Cog, name="Dashboard"):
    """The mentors' view of their server."""

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="dashboard",
        description="Mentors: the cohort at a glance; add member: for one person, export for a CSV",
    )
    @app_commands.describe(
        member="Show this member's progress instead (only if they share it with mentors)",
        export="True: get a CSV file of each sharing member's figures",
    )
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def dashboard(
        self,
        interaction: discord.Interaction[Any],
        member: discord.User | None = None,
        export: bool = False,
    ) -> None:
        """The overview, one member's shared progress, or the CSV export (mentor role only)."""
        await self.bot.setups.require_mentor(interaction.guild_id, role_ids(interaction))
        if member is not None and export:
            raise UserFacingError(
                "Choose one at a time: `member` for one person's progress, or `export` for "
                "the CSV file."
            )
        assert interaction.guild_id is not None  # require_mentor refuses DMs
        await interaction.response.defer(ephemeral=True, thinking=True)
        if member is not None:
            await self._member(interaction, interaction.guild_id, member)
        elif export:
            await self._export(interaction, interaction.guild_id)
        else:
            await self._overview(interaction, interaction.guild_id)

    async def _overview(self, interaction: discord.Interaction[Any], guild_id: int) -> None:
        guild = server_name(interaction)
        found = await self.bot.dashboard.overview(guild_id)
        weeks = await self.bot.dashboard.cohort_weeks(guild_id)
        extra: dict[str, Any] = {}
        if any(w.median is not None or w.completion is not None for w in weeks):
            png = await asyncio.to_thread(cohort_chart, weeks, "Cohort by week")
            extra["file"] = discord.File(io.BytesIO(png), filename=CHART_FILE)
        view = page_view(found)
        if view is not None:
            extra["view"] = view
        await interaction.followup.send(
            embeds=overview_embeds(found, guild), ephemeral=True, **extra
        )

    async def _member(
        self, interaction: discord.Interaction[Any], guild_id: int, member: discord.User
    ) -> None:
        name = escape_markdown(member.display_name)
        found = await self.bot.dashboard.member(guild_id, member.id)
        if found is None:
            # The same answer whether they have no record here or keep it private.
            await interaction.followup.send(
                f"{name} hasn't chosen to share their progress with this server's mentors, "
                "so there is nothing to show. Members decide that themselves, with "
                "`/privacy share progress:on`.",
                ephemeral=True,
            )
            return
        cog: Any = self.bot.get_cog("Progress")
        await send_progress(
            interaction,
            found,
            cog.framework_title,
            title=f"Progress of {name}",
            note="Shared with this server's mentors by the member. Conversation transcripts "
            "are never shown here.",
            chart_title="Weekly stress",
            own=False,
        )

    async def _export(self, interaction: discord.Interaction[Any], guild_id: int) -> None:
        result = await self.bot.dashboard.export_csv(guild_id)
        day = discord.utils.utcnow().date().isoformat()
        file = discord.File(io.BytesIO(result.data), filename=f"dashboard-{day}.csv")
        if result.per_member_hidden:
            text = (
                "Fewer than 5 people here, so the file holds the totals only, with no rows "
                "for individual members."
            )
        else:
            text = (
                "Figures for the last 30 days: a totals row for everyone, then one row for "
                f"each of the {result.members} members who share their progress."
            )
        await interaction.followup.send(text, file=file, ephemeral=True)


async def setup(bot: MentorBot) -> None:
    """Load the cog and its persistent buttons."""
    await bot.add_cog(DashboardCog(bot))
    bot.add_dynamic_items(DashboardPage)
