"""Count every interaction, time application commands, and log one line for each."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import discord

from bot.observability import metrics

log = logging.getLogger("bot.interactions")
KINDS = {
    discord.InteractionType.application_command: "command",
    discord.InteractionType.autocomplete: "autocomplete",
    discord.InteractionType.component: "component",
    discord.InteractionType.modal_submit: "modal",
}
SUBCOMMAND, GROUP = 1, 2
# Where bot.tree.report_error notes how an interaction failed, read back for the metric.
OUTCOME_KEY = "outcome"
_ID_PART = re.compile(r"^[0-9]+$")


def command_path(data: Mapping[str, Any]) -> str:
    """The full command name from an interaction's data, e.g. 'coach start'."""
    parts = [str(data.get("name", "unknown"))]
    options = data.get("options") or []
    while options and options[0].get("type") in (SUBCOMMAND, GROUP):
        parts.append(str(options[0].get("name")))
        options = options[0].get("options") or []
    return " ".join(parts)


def custom_id_label(custom_id: str) -> str:
    """A component's custom_id without its ids, e.g. 'coach:12:skip:3' -> 'coach:skip'."""
    parts = [p for p in custom_id.split(":") if not _ID_PART.match(p)]
    return ":".join(parts)[:60] or "unknown"


def describe(interaction: discord.Interaction[Any]) -> tuple[str, str]:
    """The kind of an interaction and a label of bounded variety for its command or component."""
    kind = KINDS.get(interaction.type, "other")
    data: Mapping[str, Any] = interaction.data or {}
    if kind in ("command", "autocomplete"):
        return kind, command_path(data)
    if kind in ("component", "modal"):
        return kind, custom_id_label(str(data.get("custom_id", "")))
    return kind, "unknown"


def _ids(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    return {
        "interaction_id": interaction.id,
        "user_id": interaction.user.id,
        "guild_id": interaction.guild_id,
    }


async def count_interaction(interaction: discord.Interaction[Any]) -> None:
    """Listener for every interaction: count it; log components and forms (commands log later)."""
    kind, command = describe(interaction)
    metrics.interaction_received(kind, command)
    if kind in ("component", "modal"):
        log.info(
            "%s %s from user %s",
            kind,
            command,
            interaction.user.id,
            extra={"event": "interaction", "kind": kind, "command": command, **_ids(interaction)},
        )


@contextlib.asynccontextmanager
async def timed_command(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """Time an application command or autocomplete and log how it went, in one line."""
    kind, command = describe(interaction)
    started = time.perf_counter()
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        seconds = time.perf_counter() - started
        outcome = outcome_of(interaction, failed=failed)
        metrics.command_handled(kind, command, seconds, outcome)
        log.log(
            # Autocomplete fires on every keystroke: worth a metric, not a line each.
            logging.DEBUG if kind == "autocomplete" else logging.INFO,
            "%s %s by user %s: %s in %.3f s",
            kind,
            command,
            interaction.user.id,
            outcome,
            seconds,
            extra={
                "event": "interaction",
                "kind": kind,
                "command": command,
                "outcome": outcome,
                "seconds": round(seconds, 4),
                **_ids(interaction),
            },
        )


def outcome_of(interaction: discord.Interaction[Any], *, failed: bool = False) -> str:
    """Ok, or what the error handler noted (refused, expired, error), or error if it raised."""
    noted = interaction.extras.get(OUTCOME_KEY)
    if isinstance(noted, str):
        return noted
    # discord.py catches a command's own errors and marks the interaction instead.
    return "error" if failed or interaction.command_failed else "ok"
