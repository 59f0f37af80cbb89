"""Office-hours components: the card and its buttons, the join form, and the card keeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.domain import officehours as oh
from bot.services.officehours import OfficeHoursService, Sitting

if TYPE_CHECKING:
    from re import Match

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
# The form's custom_id carries the sitting; the submit is read by a listener, not a stored
# modal, so a form opened before a restart still counts and any number can be open at once.
JOIN_FORM = re.compile(r"^ohjoin:(?P<sitting>[0-9]+):[0-9]+$")
GOAL, TRIED = "goal", "tried"
CARD_GAP = 1.0  # seconds between two edits of one card: a rush of joins costs a few edits


class Handler(Protocol):
    """What the components call back into (the office-hours cog)."""

    async def on_card(
        self, interaction: discord.Interaction[Any], sitting_id: int, action: str
    ) -> None:
        """Handle Join or Leave on a card."""

    async def on_finish(self, interaction: discord.Interaction[Any], entry_id: int) -> None:
        """Handle a mentor's Finish button."""

    async def on_plan(self, interaction: discord.Interaction[Any], entry_id: int) -> None:
        """Handle Plan my next step on the follow-up DM."""


def _handler(interaction: discord.Interaction[Any]) -> Handler:
    cog = interaction.client.get_cog("OfficeHours")
    if cog is None:
        raise RuntimeError("the OfficeHours cog is not loaded")
    return cog  # type: ignore[no-any-return]


class CardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"oh:(?P<sitting>[0-9]+):(?P<action>join|leave)",
):
    """Join or Leave on an office-hours card."""

    def __init__(self, sitting_id: int, action: str) -> None:
        label, style = {
            "join": ("Join", discord.ButtonStyle.success),
            "leave": ("Leave", discord.ButtonStyle.secondary),
        }[action]
        custom_id = f"oh:{sitting_id}:{action}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.sitting_id, self.action = sitting_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> CardButton:
        """Rebuild the button from its custom_id, also after a restart."""
        return cls(int(match["sitting"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the press to the cog."""
        await _handler(interaction).on_card(interaction, self.sitting_id, self.action)


class FinishButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ohdone:(?P<entry>[0-9]+)"
):
    """End a member's turn without taking the next one (under the mentor's prep view)."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Finish this session",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ohdone:{entry_id}",
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> FinishButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["entry"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the press to the cog."""
        await _handler(interaction).on_finish(interaction, self.entry_id)


class PlanButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ohnext:(?P<entry>[0-9]+)"
):
    """Plan my next step, on the DM after a member's turn."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Plan my next step",
                style=discord.ButtonStyle.primary,
                custom_id=f"ohnext:{entry_id}",
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> PlanButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["entry"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the press to the cog."""
        await _handler(interaction).on_plan(interaction, self.entry_id)


def card_view(sitting: Sitting) -> discord.ui.View | None:
    """Join and Leave while the sitting is open; nothing once it has closed."""
    if sitting.status != "open":
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(CardButton(sitting.id, "join"))
    view.add_item(CardButton(sitting.id, "leave"))
    return view


def join_form(sitting_id: int, topic: str | None, opened_by: int) -> discord.ui.Modal:
    """The first two GROW questions: what the member wants, and what they have tried."""
    title = f"Join office hours: {topic}" if topic else "Join office hours"
    form = discord.ui.Modal(
        title=title[:45], custom_id=f"ohjoin:{sitting_id}:{opened_by}", timeout=None
    )
    form.add_item(
        discord.ui.TextInput(
            label="What would you like from this session?",
            custom_id=GOAL,
            style=discord.TextStyle.paragraph,
            max_length=oh.MAX_PREP,
            placeholder="The outcome you'd like by the end of your turn. Your mentor reads this.",
        )
    )
    form.add_item(
        discord.ui.TextInput(
            label="What have you tried so far?",
            custom_id=TRIED,
            style=discord.TextStyle.paragraph,
            max_length=oh.MAX_PREP,
            required=False,
            placeholder="What you've done about it already, if anything.",
        )
    )
    # Not stored by discord.py: the cog's listener reads the submit (see JOIN_FORM).
    form.stop()
    return form


def form_values(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The text inputs of a submitted form, by custom_id (rows or labels alike)."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "custom_id" in node and "value" in node:
                found[str(node["custom_id"])] = str(node["value"] or "")
            walk(node.get("components"))
            walk(node.get("component"))

    walk((data or {}).get("components"))
    return found


class CardKeeper:
    """Post cards and keep them current, at most one edit per card every CARD_GAP seconds."""

    def __init__(self, client: discord.Client, service: OfficeHoursService) -> None:
        self._client = client
        self._service = service
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._shown: dict[int, tuple[str, int]] = {}

    async def post(self, sitting: Sitting) -> discord.Message:
        """Post a sitting's card in its channel and remember where it is."""
        channel = self._client.get_partial_messageable(sitting.channel_id)
        # The nonce makes a second post of the same card (tick and command racing) a no-op.
        message = await channel.send(
            oh.card_text(sitting.card),
            view=card_view(sitting),  # type: ignore[arg-type]
            nonce=f"ohcard{sitting.id}",
            allowed_mentions=NO_PINGS,
        )
        await self._service.card_shown(sitting.id, sitting.status, message.id)
        self._shown[sitting.id] = (sitting.status, sitting.waiting)
        return message

    def poke(self, sitting_id: int) -> None:
        """Bring a card up to date soon; pokes that come meanwhile share one edit."""
        self._dirty.add(sitting_id)
        if sitting_id not in self._tasks:
            self._tasks[sitting_id] = asyncio.create_task(self._run(sitting_id))

    async def _run(self, sitting_id: int) -> None:
        try:
            while sitting_id in self._dirty:
                self._dirty.discard(sitting_id)
                try:
                    await self.refresh(sitting_id)
                except discord.HTTPException as exc:
                    log.warning("could not update office-hours card %s: %s", sitting_id, exc)
                await asyncio.sleep(CARD_GAP)
        finally:
            self._tasks.pop(sitting_id, None)

    async def refresh(self, sitting_id: int) -> None:
        """Edit the card if what it shows has changed."""
        sitting = await self._service.sitting(sitting_id)
        if sitting is None or sitting.message_id is None:
            return
        shown = (sitting.status, sitting.waiting)
        if self._shown.get(sitting_id) == shown and sitting.card_status == sitting.status:
            return
        channel = self._client.get_partial_messageable(sitting.channel_id)
        message = channel.get_partial_message(sitting.message_id)
        await message.edit(content=oh.card_text(sitting.card), view=card_view(sitting))
        self._shown[sitting_id] = shown
        if sitting.card_status != sitting.status:
            await self._service.card_shown(sitting_id, sitting.status)

    async def sync(self) -> None:
        """Post missing cards and close the cards of sittings that closed (from the tick)."""
        for sitting in await self._service.cards_to_sync():
            try:
                if sitting.message_id is None:
                    await self.post(sitting)
                else:
                    await self.refresh(sitting.id)
            except (discord.Forbidden, discord.NotFound) as exc:
                # The channel is gone or closed to the bot: trying every tick would not help.
                log.warning("office-hours card %s cannot be shown: %s", sitting.id, exc)
                await self._service.card_shown(sitting.id, "lost")

    async def stop(self) -> None:
        """Cancel pending edits (at shutdown)."""
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
