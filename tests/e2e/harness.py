"""Run real discord.py clients against a FakeDiscord and shut them down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import TypeVar

import discord
import discord.gateway
import discord.http
import yarl

from tests.e2e.fake import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)
FAST_GUILD_READY = 0.05


class BotRunner:
    """Point discord.py at a fake, start bots on it, and close them all on exit."""

    def __init__(self, fake: FakeDiscord) -> None:
        """Remember the fake; nothing is patched until the runner is entered."""
        self.fake = fake
        self._tasks: dict[discord.Client, asyncio.Task[None]] = {}
        self._saved: tuple[str, yarl.URL] | None = None

    async def __aenter__(self) -> BotRunner:
        """Send discord.py's REST and gateway traffic to the fake."""
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.fake.api_base
        # DEFAULT_GATEWAY is a yarl.URL: discord.py calls .with_query() on it.
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.fake.gateway.url)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close every bot still running and restore discord.py's Discord URLs."""
        for client in list(self._tasks):
            await self.stop(client)
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def start(
        self,
        client: ClientT,
        *,
        token: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ClientT:
        """Log a client in (running setup_hook), connect it, and wait for on_ready."""
        if self._saved is None:
            raise RuntimeError("enter the BotRunner (async with) before starting a client")
        # The fake sends every GUILD_CREATE right after READY, so discord.py's wait for
        # stragglers (2 s by default) would only slow each start down.
        client._connection.guild_ready_timeout = FAST_GUILD_READY
        try:
            await client.login(token or self.fake.token)
        except BaseException:
            # A failed login leaves discord.py's HTTP session open.
            await client.close()
            raise
        task = asyncio.create_task(client.connect(reconnect=True), name=f"connect-{client.user}")
        self._tasks[client] = task
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            await self.stop(client)
            if task in done and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            raise AssertionError(f"client did not become ready within {timeout}s")
        return client

    async def stop(self, client: discord.Client) -> None:
        """Close one client and wait for its gateway loop to end."""
        task = self._tasks.pop(client, None)
        await client.close()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def restart(self, old: discord.Client, new: ClientT) -> ClientT:
        """Close a client and start a fresh one on the same fake, as after a deploy."""
        await self.stop(old)
        return await self.start(new)
