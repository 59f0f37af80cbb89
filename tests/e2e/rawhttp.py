"""Talk to the fake Discord over plain HTTP, without discord.py, for tests of the fake."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord

from tests.e2e.fake import FakeDiscord
from tests.e2e.payloads import Json


async def post_message(
    session: aiohttp.ClientSession,
    fake: FakeDiscord,
    channel_id: str,
    body: Json,
    *,
    token: str | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """Post a message body as a bot; return the status, the JSON answer and the headers."""
    url = f"{fake.api_base}/channels/{channel_id}/messages"
    headers = {"Authorization": f"Bot {token or fake.token}"}
    async with session.post(url, json=body, headers=headers) as response:
        return response.status, await response.json(), dict(response.headers)


def bare_client() -> discord.Client:
    """Return a client with no handlers: these tests call the REST API directly."""
    return discord.Client(intents=discord.Intents.default())
