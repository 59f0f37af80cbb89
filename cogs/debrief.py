"""Weekly stress debriefs, their scheduled DMs, and commitment check-ins."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import schedule as rules
from bot.domain.timezones import search_zones
from bot.errors import UserFacingError
from bot.services.schedules import ScheduleView
from bot.tree import report_error
from bot.ui.messages import send_turn_followup
from cogs.coaching import member_ref

if TYPE_CHECKING:
    from re import Match

    from bot.client import MentorBot

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIME_RE = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")


def parse_time(text: str) -> time:
    """Read HH:MM (24-hour) or raise a member-readable error."""
    found = TIME_RE.match(text)
    if not found:
        raise UserFacingError(f"'{text}' is not a time I can read: use 24-hour HH:MM, like 18:30.")
    return time(int(found[1]), int(found[2]))


def parse_date(text: str) -> date:
    """Read YYYY-MM-DD or raise a member-readable error."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserFacingError(f"'{text}' is not a date I can read: use YYYY-MM-DD.") from exc


def describe(view: ScheduleView) -> str:
    """The schedule in words with the next send times on the member's clock."""
    lines = [f"Weekly debrief: {DAYS[view.weekday]}s at {view.local_time:%H:%M} ({view.timezone})."]
    if view.paused_until:
        lines.append(f"Paused until {view.paused_until:%A %d %B %Y}.")
    lines.append("Next times:")
    lines += [f"• {rules.format_local(o.due_utc, view.timezone)}" for o in view.upcoming]
    return "\n".join(lines)


async def zone_choices(
    bot: MentorBot, user_id: int, current: str
) -> list[app_commands.Choice[str]]:
    """Time zones matching what was typed, the user's last one first (Discord shows 25)."""
    recent = await bot.schedules.last_timezone(user_id)
    return [app_commands.Choice(name=z, value=z) for z in search_zones(current, 25, recent)]


class Debrief(commands.Cog):
    """The weekly debrief and commitments."""

    debrief = app_commands.Group(name="debrief", description="Your weekly stress debrief")

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot

    async def zone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest time zones by name or city, the member's last one first."""
        return await zone_choices(self.bot, interaction.user.id, current)

    @debrief.command(
        name="schedule", description="Get a debrief DM every week at a time you choose"
    )
    @app_commands.describe(
        day="Which day of the week",
        time="Your local time, 24-hour HH:MM (for example 18:30)",
        timezone="Your time zone; type a city, like London or New York",
    )
    @app_commands.choices(day=[app_commands.Choice(name=d, value=i) for i, d in enumerate(DAYS)])
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        day: app_commands.Choice[int],
        time: str,
        timezone: str,
    ) -> None:
        """Set the weekly debrief and confirm the next three send times."""
        at = parse_time(time)
        view = await self.bot.schedules.set_weekly(
            member_ref(interaction), weekday=day.value, local_time=at, timezone=timezone
        )
        await interaction.response.send_message(describe(view), ephemeral=True)

    @debrief.command(name="now", description="Start your weekly debrief right away")
    async def now(self, interaction: discord.Interaction[Any]) -> None:
        """Run the stress debrief conversation now, in the DM."""
        cog: Any = self.bot.get_cog("Coaching")
        await cog.begin(interaction, "stress_debrief", None)

    @debrief.command(name="pause", description="Pause the weekly debrief until a date")
    @app_commands.describe(until="The first date you want it again, YYYY-MM-DD")
    async def pause(self, interaction: discord.Interaction[Any], until: str) -> None:
        """Pause, for holidays or a busy stretch."""
        view = await self.bot.schedules.pause(member_ref(interaction), parse_date(until))
        await interaction.response.send_message(describe(view), ephemeral=True)

    @debrief.command(name="resume", description="Resume a paused weekly debrief")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Lift the pause."""
        view = await self.bot.schedules.resume(member_ref(interaction))
        await interaction.response.send_message(describe(view), ephemeral=True)

    @debrief.command(name="off", description="Stop the weekly debrief DMs")
    async def off(self, interaction: discord.Interaction[Any]) -> None:
        """Turn the weekly debrief off."""
        existed = await self.bot.schedules.off(member_ref(interaction))
        text = "Your weekly debrief is off." if existed else "You had no weekly debrief set."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="commitments", description="Your open commitments, to update")
    async def commitments(self, interaction: discord.Interaction[Any]) -> None:
        """List open commitments with Done, Still on it and Drop buttons."""
        text, view = await commitments_message(self.bot, member_ref(interaction))
        await interaction.response.send_message(text, view=view, ephemeral=True)


async def commitments_message(bot: MentorBot, ref: Any) -> tuple[str, discord.ui.View]:
    """The member's open commitments and a row of buttons for each (five at most)."""
    found = await bot.schedules.open_commitments(ref)
    view = discord.ui.View(timeout=None)
    if not found:
        return "You have no open commitments. Conversations that end in a step add one.", view
    lines = ["Your open commitments:"]
    for n, c in enumerate(found[:5], start=1):
        due = f" (by {c.due_date:%a %d %b})" if c.due_date else ""
        lines.append(f"{n}. {c.text[:180]}{due}")
        for action in ("done", "still", "drop"):
            view.add_item(CommitmentButton(c.id, action, n))
    if len(found) > 5:
        lines.append(f"…and {len(found) - 5} more; update these first to see the rest.")
    return "\n".join(lines), view


class DebriefButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"debrief:(?P<row>[0-9]+):(?P<action>start|snooze|skip)",
):
    """Start, Snooze 1 hour or Skip this week on a scheduled debrief DM."""

    def __init__(self, row_id: int, action: str) -> None:
        label = {"start": "Start debrief", "snooze": "Snooze 1 hour", "skip": "Skip this week"}
        style = discord.ButtonStyle.primary if action == "start" else discord.ButtonStyle.secondary
        custom_id = f"debrief:{row_id}:{action}"
        super().__init__(discord.ui.Button(label=label[action], style=style, custom_id=custom_id))
        self.row_id, self.action = row_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> DebriefButton:
        """Rebuild the button from its custom_id, also after a restart."""
        return cls(int(match["row"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Start, snooze or skip."""
        bot: Any = interaction.client
        try:
            await interaction.response.edit_message(view=None)
            user_id = interaction.user.id
            if self.action == "snooze":
                due = await bot.reminder_actions.snooze(self.row_id, user_id)
                text = f"Snoozed: I'll ask again {discord.utils.format_dt(due, 'R')}."
                await interaction.followup.send(text)
            elif self.action == "skip":
                await bot.reminder_actions.skip(self.row_id, user_id)
                await interaction.followup.send("Skipped for this week. Until next week!")
            else:
                ref = await bot.reminder_actions.answer_debrief(self.row_id, user_id)
                turn = await bot.coaching.start(
                    ref, "stress_debrief", channel_id=interaction.channel_id
                )
                await send_turn_followup(interaction, turn)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)


class CheckinButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"checkin:(?P<commitment>[0-9]+):(?P<answer>done|partly|not_yet)",
):
    """Done, Partly or Not yet on a commitment's check-in DM."""

    def __init__(self, commitment_id: int, answer: str) -> None:
        label = {"done": "Done", "partly": "Partly", "not_yet": "Not yet"}[answer]
        custom_id = f"checkin:{commitment_id}:{answer}"
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id))
        self.commitment_id, self.answer = commitment_id, answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> CheckinButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["commitment"]), match["answer"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record how it went, then ask the one open question about it."""
        bot: Any = interaction.client
        try:
            await interaction.response.edit_message(view=None)
            ref, facts = await bot.reminder_actions.check_in(
                self.commitment_id, interaction.user.id, self.answer
            )
            turn = await bot.coaching.start(
                ref,
                "commitment_checkin",
                channel_id=interaction.channel_id,
                extra_facts=facts,
                by_bot=True,
            )
            await send_turn_followup(interaction, turn)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)


class CommitmentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"commit:(?P<commitment>[0-9]+):(?P<action>done|still|drop):(?P<n>[0-9]+)",
):
    """Done, Still on it or Drop for one commitment in the /commitments list."""

    def __init__(self, commitment_id: int, action: str, n: int) -> None:
        label = {"done": f"{n}: Done", "still": f"{n}: Still on it", "drop": f"{n}: Drop"}[action]
        style = {
            "done": discord.ButtonStyle.success,
            "still": discord.ButtonStyle.secondary,
            "drop": discord.ButtonStyle.danger,
        }[action]
        custom_id = f"commit:{commitment_id}:{action}:{n}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.commitment_id, self.action = commitment_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> CommitmentButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["commitment"]), match["action"], int(match["n"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Update the commitment and show the refreshed list."""
        bot: Any = interaction.client
        try:
            status = {"done": "done", "still": "open", "drop": "dropped"}[self.action]
            await bot.schedules.set_commitment(self.commitment_id, interaction.user.id, status)
            text, view = await commitments_message(bot, member_ref(interaction))
            await interaction.response.edit_message(content=text, view=view)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)


async def setup(bot: MentorBot) -> None:
    """Load the cog and its persistent buttons."""
    await bot.add_cog(Debrief(bot))
    bot.add_dynamic_items(DebriefButton, CheckinButton, CommitmentButton)
