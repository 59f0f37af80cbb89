"""Persistent buttons and menus on coach messages; their state lives in the custom_id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.services.coaching import CoachTurn

if TYPE_CHECKING:
    from re import Match

ACTIONS = {
    "skip": ("Skip", discord.ButtonStyle.secondary),
    "pause": ("Pause", discord.ButtonStyle.secondary),
    "end": ("End", discord.ButtonStyle.danger),
    "resume": ("Resume", discord.ButtonStyle.primary),
    "answer": ("Answer", discord.ButtonStyle.primary),
}
ANSWER_MAX = 4000  # Discord's limit for a text input


class TurnHandler(Protocol):
    """What the components call back into (the coaching cog)."""

    async def on_action(
        self, interaction: discord.Interaction[Any], session_id: int, action: str, turn_no: int
    ) -> None:
        """Handle a Skip, Pause, End, Resume or Answer press."""

    async def on_answer(
        self, interaction: discord.Interaction[Any], session_id: int, turn_no: int, text: str
    ) -> None:
        """Handle an answer given through a menu or the answer form."""


def _handler(interaction: discord.Interaction[Any]) -> TurnHandler:
    cog = interaction.client.get_cog("Coaching")
    if cog is None:
        raise RuntimeError("the Coaching cog is not loaded")
    return cog  # type: ignore[no-any-return]


def _chosen(interaction: discord.Interaction[Any]) -> list[str]:
    """The values picked in a select menu, read from the interaction itself."""
    data: Any = interaction.data or {}
    return [str(v) for v in data.get("values", [])] or [""]


class CoachButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"coach:(?P<session>[0-9]+):(?P<action>skip|pause|end|resume|answer):(?P<turn>[0-9]+)",
):
    """A Skip, Pause, End, Resume or Answer button bound to one turn of one conversation."""

    def __init__(self, session_id: int, action: str, turn_no: int) -> None:
        label, style = ACTIONS[action]
        custom_id = f"coach:{session_id}:{action}:{turn_no}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.session_id = session_id
        self.action = action
        self.turn_no = turn_no

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> CoachButton:
        """Rebuild the button from its custom_id, also after a restart."""
        return cls(int(match["session"]), match["action"], int(match["turn"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the press to the coaching cog."""
        await _handler(interaction).on_action(
            interaction, self.session_id, self.action, self.turn_no
        )


class ScaleSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"coach:(?P<session>[0-9]+):scale:(?P<turn>[0-9]+)",
):
    """A 0-10 menu for scale questions."""

    def __init__(self, session_id: int, turn_no: int) -> None:
        options = [discord.SelectOption(label=str(n), value=str(n)) for n in range(11)]
        super().__init__(
            discord.ui.Select(
                custom_id=f"coach:{session_id}:scale:{turn_no}",
                placeholder="Pick a number from 0 to 10",
                options=options,
            )
        )
        self.session_id = session_id
        self.turn_no = turn_no

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> ScaleSelect:
        """Rebuild the menu from its custom_id."""
        return cls(int(match["session"]), int(match["turn"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer with the chosen number."""
        values = _chosen(interaction)
        await _handler(interaction).on_answer(interaction, self.session_id, self.turn_no, values[0])


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"coach:(?P<session>[0-9]+):choice:(?P<turn>[0-9]+)",
):
    """A menu of a choice stage's options; the member may also type instead."""

    def __init__(
        self, session_id: int, turn_no: int, choices: list[tuple[str, str]] | None = None
    ) -> None:
        options = [
            discord.SelectOption(label=label[:100], value=oid[:100])
            for oid, label in (choices or [])
        ]
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"coach:{session_id}:choice:{turn_no}",
            placeholder="Pick one or more",
            min_values=1,
            max_values=max(1, len(options)),
            options=options or [discord.SelectOption(label="-", value="-")],
        )
        super().__init__(select)
        self.session_id = session_id
        self.turn_no = turn_no

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Match[str], /
    ) -> ChoiceSelect:
        """Rebuild the menu from its custom_id (the chosen labels come with the interaction)."""
        return cls(int(match["session"]), int(match["turn"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Answer with the chosen options, named so the engine recognises them."""
        text = ", ".join(v.replace("_", " ") for v in _chosen(interaction))
        await _handler(interaction).on_answer(interaction, self.session_id, self.turn_no, text)


class AnswerModal(discord.ui.Modal):
    """A form for answering where typed messages cannot be read (a private thread)."""

    def __init__(self, session_id: int, turn_no: int, question: str) -> None:
        super().__init__(
            title="Your answer", custom_id=f"coach:{session_id}:modal:{turn_no}", timeout=None
        )
        self.session_id = session_id
        self.turn_no = turn_no
        self.answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label=question[:45] or "Your answer",
            style=discord.TextStyle.paragraph,
            max_length=ANSWER_MAX,
            placeholder="Answer in your own words, or type skip, back, pause or end",
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Pass the answer to the coaching cog."""
        await _handler(interaction).on_answer(
            interaction, self.session_id, self.turn_no, self.answer.value
        )


def coach_view(turn: CoachTurn, *, in_thread: bool = False) -> discord.ui.View | None:
    """The components under a coach message: what fits what the coach is waiting for."""
    if turn.done:
        return None
    view = discord.ui.View(timeout=None)
    sid, no = turn.session_id, turn.turn_no
    if turn.status == "paused":
        view.add_item(CoachButton(sid, "resume", no))
        return view
    if turn.expects == "scale":
        view.add_item(ScaleSelect(sid, no))
    elif turn.expects == "choice" and turn.choices:
        view.add_item(ChoiceSelect(sid, no, turn.choices))
    if in_thread:
        view.add_item(CoachButton(sid, "answer", no))
    for action in ("skip", "pause", "end"):
        view.add_item(CoachButton(sid, action, no))
    return view
