"""Safety alerts posted through discord.py's HTTP client: the mentor role is the only ping."""

from __future__ import annotations

from typing import Any

import discord
from discord.http import Route

from bot.services.alerts import Alert, AlertRejected
from bot.services.ports import TransientSendError


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON body of an alert: it may ping the mentor role and nobody else."""
    roles = [str(alert.ping_role_id)] if alert.ping_role_id else []
    return {
        "content": alert.content,
        # The member's mention names them without notifying them; only mentors are pinged.
        "allowed_mentions": {"parse": [], "roles": roles, "users": []},
        "nonce": alert.nonce,
        # A resend after a lost answer returns the first message instead of a second alert.
        "enforce_nonce": True,
    }


class DiscordAlerts:
    """The alert port over a logged-in discord.py client."""

    def __init__(self, client: discord.Client) -> None:
        self._http = client.http

    async def post(self, alert: Alert) -> None:
        """Post an alert in its channel."""
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=alert.channel_id)
        try:
            await self._http.request(route, json=alert_payload(alert))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise AlertRejected(f"HTTP {exc.status} code {exc.code}") from exc
        except discord.HTTPException as exc:
            raise TransientSendError(f"HTTP {exc.status}") from exc
        except (OSError, TimeoutError) as exc:
            raise TransientSendError(f"network: {exc!r}") from exc
