"""The in-memory world of the fake Discord: users, guilds, channels, messages, commands."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from tests.e2e import payloads as p
from tests.e2e.payloads import Json

ADMINISTRATOR = 1 << 3


@dataclass
class GuildState:
    """A configured guild with its channels, members and roles."""

    data: Json
    channel_ids: list[str] = field(default_factory=list)
    members: dict[str, Json] = field(default_factory=dict)
    roles: list[Json] = field(default_factory=list)


@dataclass
class InteractionRecord:
    """A dispatched interaction, its acknowledgement and its original response message."""

    payload: Json
    dispatched_at: float
    acked: asyncio.Future[Json]
    acked_at: float | None = None
    original_id: str | None = None


@dataclass
class NonceRecord:
    """The message a nonce created, for Discord's `enforce_nonce` check."""

    message_id: str
    created_at: float


NonceKey = tuple[str, str, str]


@dataclass
class FakeState:
    """Everything the fake server knows; REST handlers and event builders share it."""

    ids: p.Snowflakes = field(default_factory=p.Snowflakes)
    token: str = field(default_factory=lambda: "fake." + secrets.token_urlsafe(24))
    users: dict[str, Json] = field(default_factory=dict)
    guilds: dict[str, GuildState] = field(default_factory=dict)
    channels: dict[str, Json] = field(default_factory=dict)
    messages: dict[str, list[Json]] = field(default_factory=dict)
    dm_by_user: dict[str, str] = field(default_factory=dict)
    commands: dict[str | None, list[Json]] = field(default_factory=dict)
    interactions: dict[str, InteractionRecord] = field(default_factory=dict)
    modals: dict[str, Json] = field(default_factory=dict)
    thread_members: dict[str, set[str]] = field(default_factory=dict)
    bot_tokens: dict[str, Json] = field(default_factory=dict)
    nonces: dict[NonceKey, NonceRecord] = field(default_factory=dict)
    # Messages by id, so lookups stay O(1) however many messages a test sends.
    _by_id: dict[str, Json] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Create the bot's own user; the application shares its id, as for most bots."""
        self.application_id = self.ids.next()
        self.bot_user = p.user(self.application_id, "mentorbot", bot=True)
        self.users[self.application_id] = self.bot_user
        self.bot_tokens[self.token] = self.bot_user
        self.owner = self.add_user("owner")

    def add_bot(self, username: str) -> tuple[str, Json]:
        """Create another bot account that may call the REST API; return its token and user."""
        created = p.user(self.ids.next(), username, bot=True)
        self.users[created["id"]] = created
        token = "fake." + secrets.token_urlsafe(24)
        self.bot_tokens[token] = created
        return token, created

    def add_user(self, username: str) -> Json:
        """Create a human user and return its user object."""
        created = p.user(self.ids.next(), username)
        self.users[created["id"]] = created
        return created

    def add_guild(
        self, name: str, *, members: list[Json] | None = None, channels: tuple[str, ...] = ()
    ) -> Json:
        """Create a guild the bot is in, with text channels and members; return the guild."""
        guild_id = self.ids.next()
        state = GuildState(p.guild(guild_id, name, self.owner["id"]))
        # The @everyone role shares the guild's id.
        state.roles.append(p.role(guild_id, "@everyone", permissions="1071698660929"))
        for position, channel_name in enumerate(channels or ("general",)):
            channel = p.text_channel(self.ids.next(), guild_id, channel_name, position=position)
            self.channels[channel["id"]] = channel
            state.channel_ids.append(channel["id"])
        for person in [self.bot_user, self.owner, *(members or [])]:
            state.members[person["id"]] = p.member(person)
        self.guilds[guild_id] = state
        return state.data

    def add_channel(self, guild_id: str, name: str) -> Json:
        """Add a text channel to a guild and return it."""
        state = self.guilds[guild_id]
        channel = p.text_channel(self.ids.next(), guild_id, name, position=len(state.channel_ids))
        self.channels[channel["id"]] = channel
        state.channel_ids.append(channel["id"])
        return channel

    def add_role(
        self,
        guild_id: str,
        name: str,
        *,
        members: list[Json] | None = None,
        permissions: int = 0,
    ) -> Json:
        """Create a role in a guild, give it to some members, and return it."""
        roles = self.guilds[guild_id].roles
        created = p.role(self.ids.next(), name, position=len(roles), permissions=str(permissions))
        roles.append(created)
        for person in members or []:
            self.member_of(guild_id, person["id"])["roles"].append(created["id"])
        return created

    def guild_create(self, guild_id: str) -> Json:
        """Return the GUILD_CREATE payload for a configured guild."""
        state = self.guilds[guild_id]
        channels = [self.channels[cid] for cid in state.channel_ids]
        # Threads travel in their own list, apart from the channels.
        threads = [c for c in channels if c["type"] in (p.PUBLIC_THREAD, p.PRIVATE_THREAD)]
        rest = [c for c in channels if c not in threads]
        members = list(state.members.values())
        return p.guild_create(state.data, rest, members, state.roles, threads)

    def member_of(self, guild_id: str, user_id: str) -> Json:
        """Return a guild member, adding the user to the guild if needed."""
        members = self.guilds[guild_id].members
        if user_id not in members:
            members[user_id] = p.member(self.users[user_id])
        return members[user_id]

    def permissions_of(self, guild_id: str, user_id: str) -> str:
        """A member's guild permissions: everything for the owner, else @everyone plus roles."""
        state = self.guilds[guild_id]
        if state.data["owner_id"] == user_id:
            return p.ALL_PERMISSIONS
        held = set(self.member_of(guild_id, user_id)["roles"]) | {guild_id}
        bits = 0
        for role in state.roles:
            if role["id"] in held:
                bits |= int(role["permissions"])
        # Administrator implies every permission, as Discord computes it.
        return p.ALL_PERMISSIONS if bits & ADMINISTRATOR else str(bits)

    def dm_channel_for(self, user_id: str) -> Json:
        """Return the one DM channel between the bot and a user, creating it on first use."""
        if user_id not in self.dm_by_user:
            channel = p.dm_channel(self.ids.next(), self.users[user_id])
            self.channels[channel["id"]] = channel
            self.dm_by_user[user_id] = channel["id"]
        return self.channels[self.dm_by_user[user_id]]

    def add_thread(
        self, parent_id: str, name: str, *, private: bool, thread_id: str | None = None
    ) -> Json:
        """Create a thread under a guild channel and return it."""
        parent = self.channels[parent_id]
        thread_id = thread_id or self.ids.next()
        created = p.thread(thread_id, parent, name, self.bot_user["id"], private=private)
        self.channels[created["id"]] = created
        self.guilds[parent["guild_id"]].channel_ids.append(created["id"])
        return created

    def add_message(self, channel_id: str, author: Json, body: Json, **extra: Any) -> Json:
        """Store a new message in a channel and return it."""
        channel = self.channels[channel_id]
        if "guild_id" in channel:
            extra.setdefault("guild_id", channel["guild_id"])
        message_id = self.ids.next()
        if body.get("attachments"):
            extra["attachments"] = [
                p.attachment(self.ids.next(), channel_id, item.get("filename") or "file")
                for item in body["attachments"]
            ]
        created = p.message(message_id, channel_id, author, body, **extra)
        self.messages.setdefault(channel_id, []).append(created)
        self._by_id[message_id] = created
        channel["last_message_id"] = created["id"]
        return created

    def find_message(self, message_id: str) -> Json | None:
        """Return a stored message by id, in any channel."""
        return self._by_id.get(message_id)

    def remember_nonce(self, message: Json, now: float) -> None:
        """Note which message a nonce created, whether or not its sender enforced it."""
        key = nonce_key(message["channel_id"], message["author"]["id"], message["nonce"])
        self.nonces[key] = NonceRecord(message["id"], now)

    def nonce_record(
        self, channel_id: str, author_id: str, nonce: str | int, now: float, window: float
    ) -> NonceRecord | None:
        """Return the record of a nonce this author used in this channel within the window."""
        record = self.nonces.get(nonce_key(channel_id, author_id, nonce))
        if record is None or now - record.created_at >= window:
            return None
        return record

    def edit_message(self, stored: Json, body: Json) -> Json:
        """Apply an edit body to a stored message in place and return it."""
        for key in ("content", "embeds", "flags"):
            if key in body and body[key] is not None:
                stored[key] = body[key]
        if "components" in body:
            stored["components"] = p.number_components(body["components"] or [])
        stored["edited_timestamp"] = p.iso_now()
        return stored

    def delete_message(self, stored: Json) -> None:
        """Remove a stored message."""
        self.messages[stored["channel_id"]].remove(stored)
        self._by_id.pop(stored["id"], None)

    def put_commands(self, guild_id: str | None, bodies: list[Json]) -> list[Json]:
        """Overwrite the command list of one scope; names keep their ids, as on Discord."""
        old = {(c["name"], c.get("type", 1)): c["id"] for c in self.commands.get(guild_id, [])}
        stored = [
            self.command(guild_id, body, old.get((body["name"], body.get("type", 1))))
            for body in bodies
        ]
        self.commands[guild_id] = stored
        return stored

    def command(self, guild_id: str | None, body: Json, command_id: str | None = None) -> Json:
        """Return the stored form of one command body."""
        created = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **body,
            "id": command_id or self.ids.next(),
            "application_id": self.application_id,
            "version": self.ids.next(),
        }
        # Discord answers an unset install type with its default, guild install.
        if created.get("integration_types") is None:
            created["integration_types"] = [0]
        if guild_id is not None:
            created["guild_id"] = guild_id
        return created

    def find_command(self, name: str, guild_id: str | None) -> Json | None:
        """Return the registered command a user would pick by name in a guild or a DM."""
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        return None


def nonce_key(channel_id: str, author_id: str, nonce: str | int) -> NonceKey:
    """Key a nonce by channel and author, as text (discord.py always sends nonces as strings)."""
    return (channel_id, author_id, str(nonce))
