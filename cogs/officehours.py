"""Office hours: a queue with prep questions, mentors taking members in turn, weekly sittings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import officehours as oh
from bot.domain.schedule import format_local
from bot.errors import UserFacingError
from bot.services.guilds import NotInServer
from bot.services.officehours import FOLLOWUP_FRAMEWORK, NextResult
from bot.services.officehours_weekly import WeeklySlot
from bot.tree import report_error
from bot.ui.messages import send_turn_followup
from bot.ui.officehours import (
    GOAL,
    JOIN_FORM,
    NO_PINGS,
    TRIED,
    CardButton,
    CardKeeper,
    FinishButton,
    PlanButton,
    form_values,
    join_form,
)
from cogs.admin import role_ids
from cogs.coaching import member_ref
from cogs.debrief import DAYS, parse_time, zone_choices

if TYPE_CHECKING:
    from bot.client import MentorBot

log = logging.getLogger(__name__)
SERVER_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)


def where(interaction: discord.Interaction[Any]) -> tuple[int, int]:
    """The server and channel of a server-only command."""
    if interaction.guild_id is None or interaction.channel_id is None:
        raise NotInServer
    return interaction.guild_id, interaction.channel_id


def describe_slot(slot: WeeklySlot) -> str:
    """Weekly office hours in words with the next opening times on the mentor's clock."""
    about = f" ({slot.topic})" if slot.topic else ""
    lines = [
        f"Weekly office hours{about} in this channel: {DAYS[slot.weekday]}s at "
        f"{slot.local_time:%H:%M} ({slot.timezone}) for {oh.describe_length(slot.duration)}.",
        "The card opens by itself; members who ran `/officehours remind on` get a DM an hour "
        "before. Next openings:",
    ]
    lines += [f"• {format_local(at, slot.timezone)}" for at in slot.upcoming]
    return "\n".join(lines)


def read_duration(text: str) -> timedelta:
    """A length of time from a command option, or a clear private refusal."""
    try:
        return oh.parse_duration(text)
    except oh.DurationError as exc:
        raise UserFacingError(str(exc)) from None


def next_text(result: NextResult) -> str:
    """What the mentor sees after /officehours next."""
    lines = []
    if result.finished:
        lines.append(
            f"Your session with {result.finished} has ended; I've sent them a DM to plan their "
            "next step."
        )
    if result.taken is None:
        lines.append("Nobody is waiting right now.")
    else:
        lines.append(oh.prep_text(result.taken.prep))
    return "\n\n".join(lines)[: oh.MESSAGE_LIMIT]


class OfficeHours(commands.Cog):
    """Office hours in server channels."""

    officehours = app_commands.Group(
        name="officehours",
        description="Office hours with mentors: a queue, prep questions, weekly times",
        allowed_contexts=SERVER_ONLY,
    )

    def __init__(self, bot: MentorBot) -> None:
        self.bot = bot
        self.service = bot.officehours
        self.cards = CardKeeper(bot, self.service)

    async def cog_unload(self) -> None:
        """Stop pending card edits."""
        await self.cards.stop()

    async def tick(self) -> None:
        """Open, remind and close from the tables, then bring the cards in line."""
        await self.service.weekly.tick()
        await self.cards.sync()

    async def _mentor(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.setups.require_mentor(interaction.guild_id, role_ids(interaction))

    async def _is_mentor(self, interaction: discord.Interaction[Any]) -> bool:
        setup = await self.bot.setups.get(interaction.guild_id) if interaction.guild_id else None
        return setup is not None and setup.mentor_role_id in role_ids(interaction)

    async def zone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest time zones by name or city, the mentor's last one first."""
        return await zone_choices(self.bot, interaction.user.id, current)

    # --- mentors ---------------------------------------------------------------------------

    @officehours.command(name="open", description="Open office hours in this channel")
    @app_commands.describe(
        duration="How long, like 45m, 1h30 or 90 (minutes); one hour if left out",
        topic="What these office hours are about, in a few words",
        voice_channel="The voice channel where sessions happen, if any",
    )
    @app_commands.rename(voice_channel="voice-channel")
    async def open(
        self,
        interaction: discord.Interaction[Any],
        duration: str | None = None,
        topic: app_commands.Range[str, 1, 200] | None = None,
        voice_channel: discord.VoiceChannel | None = None,
    ) -> None:
        """Post the card with Join and Leave; it closes itself when the time is up."""
        await self._mentor(interaction)
        length = read_duration(duration) if duration else oh.DEFAULT_DURATION
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id, channel_id = where(interaction)
        sitting = await self.service.open(
            guild_id,
            channel_id,
            member_ref(interaction),
            duration=length,
            topic=topic,
            voice_channel_id=voice_channel.id if voice_channel else None,
        )
        try:
            card = await self.cards.post(sitting)
        except discord.HTTPException:
            await self.service.close(None, None, sitting.id)
            raise UserFacingError(
                "I couldn't post the office-hours card in this channel. Check that I can view "
                "the channel and send messages in it, then try again."
            ) from None
        await interaction.followup.send(
            f"Office hours are open until {oh.timestamp(sitting.closes_at)}: {card.jump_url}\n"
            "Use `/officehours next` to take the first person, and `/officehours close` to end "
            "early.",
            ephemeral=True,
        )

    @officehours.command(name="next", description="Take the next member in the queue")
    async def next(self, interaction: discord.Interaction[Any]) -> None:
        """End your current session, take the next member, and mention them in the channel."""
        await self._mentor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.next(
            interaction.guild_id, interaction.channel_id, member_ref(interaction)
        )
        view, note = None, ""
        if result.taken is not None:
            user_id = result.taken.user_id
            voice = result.sitting.voice_channel_id
            room = f" Come to <#{voice}>." if voice else ""
            channel = self.bot.get_partial_messageable(result.sitting.channel_id)
            try:
                # The one deliberate ping: only the member whose turn it is.
                await channel.send(
                    f"<@{user_id}>, it's your turn with {interaction.user.display_name}!{room}",
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(user_id)]),
                )
            except discord.HTTPException:
                log.warning("could not mention the next member in channel %s", channel.id)
                note = "\n\nI couldn't mention them in the channel: please let them know."
            view = discord.ui.View(timeout=None)
            view.add_item(FinishButton(result.taken.entry_id))
        await interaction.followup.send(
            next_text(result) + note,
            view=view,  # type: ignore[arg-type]
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        self.cards.poke(result.sitting.id)

    @officehours.command(name="close", description="Close the office hours open here now")
    async def close(self, interaction: discord.Interaction[Any]) -> None:
        """Close now; members still waiting get a DM."""
        await self._mentor(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        closing = await self.service.close(interaction.guild_id, interaction.channel_id)
        with contextlib.suppress(discord.HTTPException):
            await self.cards.refresh(closing.sitting.id)
        told = (
            f" {oh.people(closing.missed).capitalize()} still waiting will get a DM."
            if closing.missed
            else ""
        )
        await interaction.followup.send(
            f"Office hours are closed. {oh.people(closing.sitting.seen).capitalize()} had a "
            f"turn.{told}",
            ephemeral=True,
        )

    @officehours.command(name="schedule", description="Open office hours here every week")
    @app_commands.describe(
        day="Which day of the week",
        time="Your local time, 24-hour HH:MM (for example 18:30)",
        timezone="Your time zone; type a city, like London or New York",
        duration="How long, like 45m, 1h30 or 90 (minutes)",
        topic="What these office hours are about, in a few words",
        voice_channel="The voice channel where sessions happen, if any",
    )
    @app_commands.rename(voice_channel="voice-channel")
    @app_commands.choices(day=[app_commands.Choice(name=d, value=i) for i, d in enumerate(DAYS)])
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        day: app_commands.Choice[int],
        time: str,
        timezone: str,
        duration: str,
        topic: app_commands.Range[str, 1, 200] | None = None,
        voice_channel: discord.VoiceChannel | None = None,
    ) -> None:
        """Set weekly office hours in this channel and confirm the next three openings."""
        await self._mentor(interaction)
        at, length = parse_time(time), read_duration(duration)
        guild_id, channel_id = where(interaction)
        slot = await self.service.weekly.schedule(
            guild_id,
            channel_id,
            member_ref(interaction),
            weekday=day.value,
            local_time=at,
            timezone=timezone,
            duration=length,
            topic=topic,
            voice_channel_id=voice_channel.id if voice_channel else None,
        )
        await interaction.response.send_message(describe_slot(slot), ephemeral=True)

    @officehours.command(name="unschedule", description="Stop weekly office hours in this channel")
    @app_commands.describe(
        day="The day they were scheduled on", time="The time they open, 24-hour HH:MM"
    )
    @app_commands.choices(day=[app_commands.Choice(name=d, value=i) for i, d in enumerate(DAYS)])
    async def unschedule(
        self, interaction: discord.Interaction[Any], day: app_commands.Choice[int], time: str
    ) -> None:
        """Remove one weekly sitting from this channel."""
        await self._mentor(interaction)
        at = parse_time(time)
        guild_id, channel_id = where(interaction)
        gone = await self.service.weekly.unschedule(
            guild_id, channel_id, weekday=day.value, local_time=at
        )
        text = (
            f"Weekly office hours on {DAYS[day.value]}s at {at:%H:%M} are stopped."
            if gone
            else f"There are no weekly office hours here on {DAYS[day.value]}s at {at:%H:%M}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    # --- members ---------------------------------------------------------------------------

    @officehours.command(name="join", description="Join the office-hours queue here")
    async def join(self, interaction: discord.Interaction[Any]) -> None:
        """Ask the two prep questions, then take a place in the queue."""
        sitting = await self.service.find(interaction.guild_id, interaction.channel_id)
        await self._open_form(interaction, sitting.id)

    @officehours.command(name="leave", description="Leave the office-hours queue here")
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        """Give up your place in the queue."""
        sitting = await self.service.leave(
            interaction.guild_id, interaction.channel_id, interaction.user.id, None
        )
        await interaction.response.send_message("You've left the queue.", ephemeral=True)
        self.cards.poke(sitting.id)

    @officehours.command(name="queue", description="See the office-hours queue here")
    async def queue(self, interaction: discord.Interaction[Any]) -> None:
        """Mentors see everyone's goal; members see only their own place."""
        mentor = await self._is_mentor(interaction)
        text = await self.service.queue_text(
            interaction.guild_id, interaction.channel_id, interaction.user.id, mentor=mentor
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @officehours.command(name="remind", description="A DM an hour before weekly office hours")
    @app_commands.describe(setting="on for a DM an hour before scheduled office hours, off to stop")
    @app_commands.choices(
        setting=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    async def remind(
        self, interaction: discord.Interaction[Any], setting: app_commands.Choice[str]
    ) -> None:
        """Turn office-hours reminders on or off for this server."""
        guild_id, _ = where(interaction)
        on = setting.value == "on"
        await self.service.set_reminders(member_ref(interaction), on)
        if not on:
            text = "Office-hours reminders are off for this server."
        else:
            coming = await self.service.weekly.next_opening(guild_id)
            when = (
                f" The next office hours open {oh.timestamp(coming, 'F')}."
                if coming
                else " No weekly office hours are scheduled here yet."
            )
            text = f"I'll DM you an hour before scheduled office hours in this server.{when}"
        await interaction.response.send_message(text, ephemeral=True)

    # --- components ------------------------------------------------------------------------

    async def _open_form(self, interaction: discord.Interaction[Any], sitting_id: int) -> None:
        assert interaction.guild_id is not None
        topic = await self.service.joinable(sitting_id, interaction.guild_id, interaction.user.id)
        await interaction.response.send_modal(join_form(sitting_id, topic, interaction.id))

    async def on_card(
        self, interaction: discord.Interaction[Any], sitting_id: int, action: str
    ) -> None:
        """Join (the prep form) or Leave from the card's buttons."""
        try:
            if action == "join":
                await self._open_form(interaction, sitting_id)
                return
            await self.service.leave(
                interaction.guild_id, interaction.channel_id, interaction.user.id, sitting_id
            )
            await interaction.response.send_message("You've left the queue.", ephemeral=True)
            self.cards.poke(sitting_id)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Take submitted join forms, also ones opened before a restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        found = JOIN_FORM.match(str(data.get("custom_id", "")))
        if found is not None:
            await self.on_join(interaction, int(found["sitting"]))

    async def on_join(self, interaction: discord.Interaction[Any], sitting_id: int) -> None:
        """Queue the member with their answers, then tell them their place and the wait."""
        values = form_values(interaction.data)
        # Started before anything is awaited: joins reach the database in the order they came.
        joining = asyncio.ensure_future(
            self.service.join(
                sitting_id,
                member_ref(interaction),
                goal=values.get(GOAL, ""),
                tried=values.get(TRIED),
            )
        )
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            await asyncio.gather(joining, return_exceptions=True)
            await report_error(interaction, exc)
            return
        try:
            place = await joining
            await interaction.followup.send(place.text, ephemeral=True)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)
            return
        self.cards.poke(sitting_id)

    async def on_finish(self, interaction: discord.Interaction[Any], entry_id: int) -> None:
        """End one session from the mentor's Finish button."""
        try:
            name = await self.bot.officehours.finish(entry_id, interaction.user.id)
            await interaction.response.edit_message(
                content=f"Your session with {name} has ended; I've sent them a DM to plan their "
                "next step. `/officehours next` takes the next person.",
                view=None,
                allowed_mentions=NO_PINGS,
            )
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)

    async def on_plan(self, interaction: discord.Interaction[Any], entry_id: int) -> None:
        """Start the next-step conversation from the follow-up DM."""
        try:
            await interaction.response.edit_message(view=None)
            ref = await self.service.followup_start(entry_id, interaction.user.id)
            turn = await self.bot.coaching.start(
                ref, FOLLOWUP_FRAMEWORK, channel_id=interaction.channel_id, by_bot=True
            )
            await send_turn_followup(interaction, turn)
        except Exception as exc:  # every failure gets a reply and a log line
            await report_error(interaction, exc)


async def setup(bot: MentorBot) -> None:
    """Load the cog and its persistent buttons."""
    await bot.add_cog(OfficeHours(bot))
    bot.add_dynamic_items(CardButton, FinishButton, PlanButton)
