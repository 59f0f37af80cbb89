"""A member driving the real bot through the fake Discord: slash commands, DMs, buttons."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.client import MentorBot
from bot.config import Settings
from tests.e2e.exchange import Exchange
from tests.e2e.fake import FakeDiscord
from tests.e2e.payloads import Json
from tests.fixtures_db import bot_database_override

POST_MESSAGE = r"/channels/{}/messages$"


def bot_settings(fake: FakeDiscord, data_dir: Path) -> Settings:
    """Settings for a bot on the fake: the test's database, commands synced to the guild.

    On SQLite that is the default file in data_dir; with TEST_DATABASE_URL, a PostgreSQL
    database kept for data_dir, so a restarted bot finds the same rows.
    """
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=fake.token,
        discord_guild_id=int(fake.guild_id),
        data_dir=data_dir,
        database_url=bot_database_override(data_dir),
    )


def make_bot(fake: FakeDiscord, data_dir: Path) -> MentorBot:
    """A fresh bot process on the same database."""
    return MentorBot(bot_settings(fake, data_dir))


class Member:
    """One Discord user talking to the bot."""

    def __init__(self, fake: FakeDiscord, user: Json) -> None:
        self.fake = fake
        self.user = user

    @property
    def dm(self) -> str:
        """The id of this member's DM channel with the bot."""
        return self.fake.dm_channel_id(self.user)

    async def slash(
        self,
        name: str,
        subcommand: str | None = None,
        *,
        in_dm: bool = False,
        guild: Json | None = None,
        **options: Any,
    ) -> Exchange:
        """Run a slash command in a guild's first channel (or in the DM) and return the ack."""
        guild_id: str | None = self.fake.guild_id if guild is None else guild["id"]
        channel = self.fake.channel_named("general", guild_id)["id"]
        if in_dm:
            guild_id, channel = None, self.dm
        payload = self.fake.make_slash_interaction(
            self.user, guild_id, channel, name, options or None, subcommand=subcommand
        )
        return await self.fake.interact(payload)

    async def say(self, text: str, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """Type a DM to the bot and return the bot's reply message."""
        start = len(self.fake.requests)
        await self.fake.dispatch("MESSAGE_CREATE", self.fake.make_dm_message(self.user, text))
        return await self.next_message(self.dm, start, timeout)

    async def next_message(self, channel_id: str, start: int, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """Wait for the bot's next message in a channel (posted or sent as a followup)."""
        pattern = POST_MESSAGE.format(channel_id)

        def posted(r: Any) -> bool:
            in_channel = r.matches("POST", pattern)
            followup = r.matches("POST", r"^/webhooks/\d+/[^/]+$") and _channel_of(r) == channel_id
            return (in_channel or followup) and r.status == 200

        found = await self.fake.wait_for_request(posted, timeout, start=start)
        return found.response  # type: ignore[no-any-return]

    async def press(
        self, message: Json, custom_id_pattern: str, values: list[str] | None = None
    ) -> Exchange:
        """Click a button (or pick in a menu) whose custom_id matches a pattern."""
        custom_id = find_custom_id(message, custom_id_pattern)
        stored = self.fake.state.find_message(message["id"]) or message
        payload = self.fake.make_component_interaction(self.user, stored, custom_id, values)
        return await self.fake.interact(payload)


def _channel_of(request: Any) -> str | None:
    response = request.response
    return str(response.get("channel_id")) if isinstance(response, dict) else None


def custom_ids(message: Json) -> list[str]:
    """Every custom_id on a message, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "custom_id" in node:
                found.append(node["custom_id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("components", []))
    return found


def find_custom_id(message: Json, pattern: str) -> str:
    """The one custom_id on a message matching a pattern."""
    matches = [c for c in custom_ids(message) if re.search(pattern, c)]
    if len(matches) != 1:
        raise AssertionError(
            f"expected one custom_id like {pattern!r}, found {custom_ids(message)}"
        )
    return matches[0]
