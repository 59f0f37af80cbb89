"""What the services need from Discord for scheduled DMs, without importing discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Button:
    """A button on a scheduled DM: its persistent custom_id, label and style."""

    custom_id: str
    label: str
    style: str = "secondary"  # primary, secondary, success or danger


@dataclass(frozen=True)
class OutgoingDM:
    """A scheduled DM, ready to send."""

    content: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)


class DMClosed(Exception):
    """Discord refused the DM: the member does not accept DMs from the bot (50007)."""


class TransientSendError(Exception):
    """A failure worth retrying later (rate limit, server error, network)."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DMPort(Protocol):
    """Open DM channels and send messages through them."""

    async def open_dm(self, user_id: int) -> int:
        """Return the id of the DM channel with a user, opening it if needed."""
        ...

    async def send(self, channel_id: int, dm: OutgoingDM, nonce: str) -> int:
        """Send a DM and return the message id; the nonce makes a resend return the same one."""
        ...
