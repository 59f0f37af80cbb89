"""Scheduled DMs sent through discord.py's HTTP client, with a nonce Discord enforces."""

from __future__ import annotations

from typing import Any

import discord
from discord.http import Route

from bot.services.ports import DMClosed, OutgoingDM, TransientSendError

STYLES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}


def message_payload(dm: OutgoingDM, nonce: str) -> dict[str, Any]:
    """The JSON body of a scheduled DM: no pings, the buttons in one row, an enforced nonce."""
    payload: dict[str, Any] = {
        "content": dm.content,
        "allowed_mentions": {"parse": []},
        "nonce": nonce,
        # With enforce_nonce Discord hands back the first message for a repeated nonce.
        "enforce_nonce": True,
    }
    if dm.buttons:
        buttons = [
            {"type": 2, "style": STYLES[b.style], "label": b.label, "custom_id": b.custom_id}
            for b in dm.buttons
        ]
        payload["components"] = [{"type": 1, "components": buttons}]
    return payload


class DiscordDMs:
    """The DM port over a logged-in discord.py client."""

    def __init__(self, client: discord.Client) -> None:
        self._http = client.http

    async def open_dm(self, user_id: int) -> int:
        """Open the DM channel with a user and return its id."""
        try:
            data = await self._http.start_private_message(user_id)
        except discord.HTTPException as exc:
            raise _translate(exc) from exc
        return int(data["id"])

    async def send(self, channel_id: int, dm: OutgoingDM, nonce: str) -> int:
        """Send one DM; discord.py itself waits out 429s before this returns or raises."""
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        try:
            data = await self._http.request(route, json=message_payload(dm, nonce))
        except discord.HTTPException as exc:
            raise _translate(exc) from exc
        except (OSError, TimeoutError) as exc:
            raise TransientSendError(f"network: {exc!r}") from exc
        return int(data["id"])


def _translate(exc: discord.HTTPException) -> Exception:
    if isinstance(exc, discord.Forbidden):
        # 50007 is the usual code; any refusal of a DM means the same: stop trying.
        return DMClosed(f"HTTP 403 code {exc.code}")
    if exc.status == 429 or exc.status >= 500:
        return TransientSendError(f"HTTP {exc.status}", retry_after=5.0)
    # Anything else (a deleted channel, a bad request) will not get better by retrying soon.
    return TransientSendError(f"HTTP {exc.status} code {exc.code}", retry_after=600.0)
