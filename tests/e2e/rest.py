"""REST routes of the fake Discord: users, channels, messages, threads, guilds, commands."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.e2e import payloads as p
from tests.e2e.faults import error_response, json_response
from tests.e2e.gateway import DIRECT_MESSAGES, GUILD_MESSAGES, GUILDS
from tests.e2e.payloads import Json
from tests.e2e.recording import RecordedRequest
from tests.e2e.state import NonceRecord

if TYPE_CHECKING:
    from tests.e2e.fake import FakeDiscord

UNKNOWN_CHANNEL, UNKNOWN_GUILD, UNKNOWN_MEMBER, UNKNOWN_MESSAGE = 10003, 10004, 10007, 10008
UNKNOWN_USER, INVALID_RECIPIENT = 10013, 50033


@dataclass
class Call:
    """One routed REST request as a handler sees it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    author: Json | None = None  # the bot whose token signed the request, if any
    recorded: RecordedRequest | None = None


Handler = Callable[[Call], Awaitable[web.Response]]


class Router:
    """Map a method and a path to a handler, with `{name}` placeholders as parameters."""

    def __init__(self) -> None:
        """Start with no routes."""
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register a handler for a path template such as /channels/{channel_id}."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """Return the handler and parameters for a request, if a route matches."""
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found and route_method == method:
                return handler, found.groupdict()
        return None


class RestApi:
    """Handlers for everything but interactions and webhooks."""

    def __init__(self, fake: FakeDiscord, router: Router) -> None:
        """Register the routes on a router."""
        self.fake = fake
        self.state = fake.state
        add = router.add
        add("GET", "/users/@me", self.get_me)
        add("GET", "/users/{user_id}", self.get_user)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        add("GET", "/gateway", self.get_gateway)
        add("GET", "/gateway/bot", self.get_gateway)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("GET", "/channels/{channel_id}/messages", self.list_messages)
        add("POST", "/channels/{channel_id}/messages", self.create_message)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        add("POST", "/channels/{channel_id}/threads", self.create_thread)
        add("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.create_thread)
        add("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        for scope in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            add("GET", f"{scope}/commands", self.get_commands)
            add("PUT", f"{scope}/commands", self.put_commands)
            add("POST", f"{scope}/commands", self.upsert_command)

    async def get_me(self, call: Call) -> web.Response:
        """Return the account of the bot that asks."""
        return json_response(p.private_user(call.author or self.state.bot_user))

    async def get_user(self, call: Call) -> web.Response:
        """Return any known user."""
        found = self.state.users.get(call.params["user_id"])
        return json_response(found) if found else error_response(404, UNKNOWN_USER, "Unknown User")

    async def create_dm(self, call: Call) -> web.Response:
        """Open (or reopen) the DM channel with a user."""
        recipient = str(call.body.get("recipient_id"))
        if recipient not in self.state.users:
            return error_response(400, INVALID_RECIPIENT, "Invalid Recipient(s)")
        return json_response(self.state.dm_channel_for(recipient))

    async def get_application(self, call: Call) -> web.Response:
        """Return the bot's application; no interactions endpoint, so events use the gateway."""
        state = self.state
        return json_response(
            {
                "id": state.application_id,
                "name": state.bot_user["username"],
                "icon": None,
                "description": "",
                "type": None,
                "bot": state.bot_user,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "flags_new": "0",
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "owner": state.owner,
                "team": None,
                "approximate_guild_count": len(state.guilds),
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "explicit_content_filter": 0,
                "eligible_oauth2_scopes": ["bot", "applications.commands"],
                "tags": [],
            }
        )

    async def get_gateway(self, call: Call) -> web.Response:
        """Return the gateway URL (with the sharding advice /gateway/bot adds)."""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {
                "url": self.fake.gateway.url,
                "shards": self.fake.gateway.recommended_shards,
                "session_start_limit": limit,
            }
        )

    async def get_guild(self, call: Call) -> web.Response:
        """Return a guild with its roles."""
        found = self.state.guilds.get(call.params["guild_id"])
        if found is None:
            return error_response(404, UNKNOWN_GUILD, "Unknown Guild")
        return json_response({**found.data, "roles": found.roles, "emojis": [], "stickers": []})

    async def get_member(self, call: Call) -> web.Response:
        """Return a guild member."""
        found = self.state.guilds.get(call.params["guild_id"])
        if found is None or call.params["user_id"] not in found.members:
            return error_response(404, UNKNOWN_MEMBER, "Unknown Member")
        return json_response(found.members[call.params["user_id"]])

    async def get_channel(self, call: Call) -> web.Response:
        """Return a channel."""
        found = self.state.channels.get(call.params["channel_id"])
        return json_response(found) if found else error_response(404, UNKNOWN_CHANNEL)

    async def typing(self, call: Call) -> web.Response:
        """Accept a typing indicator."""
        if call.params["channel_id"] not in self.state.channels:
            return error_response(404, UNKNOWN_CHANNEL, "Unknown Channel")
        return web.Response(status=204)

    async def list_messages(self, call: Call) -> web.Response:
        """Return a channel's messages, newest first, as Discord pages them."""
        stored = self.state.messages.get(call.params["channel_id"], [])
        limit = int(call.query.get("limit", 50))
        # Slice before reversing: a long channel would otherwise be copied on every page.
        return json_response(stored[max(0, len(stored) - limit) :][::-1])

    async def create_message(self, call: Call) -> web.Response:
        """Store a message the bot sends and announce it, unless its nonce was just used."""
        channel_id = call.params["channel_id"]
        if channel_id not in self.state.channels:
            return error_response(404, UNKNOWN_CHANNEL, "Unknown Channel")
        author = call.author or self.state.bot_user
        nonce = call.body.get("nonce")
        now = self.fake.clock()
        if nonce is not None and call.body.get("enforce_nonce"):
            window = self.fake.nonce_window
            earlier = self.state.nonce_record(channel_id, author["id"], nonce, now, window)
            if earlier is not None:
                return self._repeat(call, earlier)
        extra: Json = {}
        reference = call.body.get("message_reference")
        if reference:
            extra = {"type": 19, "message_reference": {**reference, "channel_id": channel_id}}
        created = self.state.add_message(channel_id, author, call.body, **extra)
        if nonce is not None:
            self.state.remember_nonce(created, now)
        await self.fake.announce("MESSAGE_CREATE", created)
        return json_response(created)

    def _repeat(self, call: Call, earlier: NonceRecord) -> web.Response:
        """Answer an enforced nonce seen within the window with the message it created."""
        self.fake.nonce_dedups += 1
        if call.recorded is not None:
            call.recorded.deduplicated = True
        found = self.state.find_message(earlier.message_id)
        if found is None:
            # discord.py documents NotFound for a nonce whose message was deleted shortly before.
            return error_response(404, UNKNOWN_MESSAGE, "Unknown Message")
        # No MESSAGE_CREATE: nothing new was created.
        return json_response(found)

    async def get_message(self, call: Call) -> web.Response:
        """Return one stored message."""
        found = self._message(call)
        return json_response(found) if found else error_response(404, UNKNOWN_MESSAGE)

    async def edit_message(self, call: Call) -> web.Response:
        """Edit a stored message."""
        found = self._message(call)
        if found is None:
            return error_response(404, UNKNOWN_MESSAGE)
        edited = self.state.edit_message(found, call.body)
        await self.fake.announce("MESSAGE_UPDATE", edited)
        return json_response(edited)

    async def delete_message(self, call: Call) -> web.Response:
        """Delete a stored message."""
        found = self._message(call)
        if found is None:
            return error_response(404, UNKNOWN_MESSAGE)
        self.state.delete_message(found)
        await self.fake.announce("MESSAGE_DELETE", found)
        return web.Response(status=204)

    async def create_thread(self, call: Call) -> web.Response:
        """Create a thread, standalone or from a message (which then shares its id)."""
        parent = self.state.channels.get(call.params["channel_id"])
        if parent is None or "guild_id" not in parent:
            return error_response(404, UNKNOWN_CHANNEL, "Unknown Channel")
        private = call.body.get("type") == p.PRIVATE_THREAD
        created = self.state.add_thread(
            parent["id"],
            call.body["name"],
            private=private,
            thread_id=call.params.get("message_id"),
        )
        if self.fake.gateway.wants(GUILDS):
            await self.fake.gateway.dispatch("THREAD_CREATE", {**created, "newly_created": True})
        return json_response(created, 201)

    async def add_thread_member(self, call: Call) -> web.Response:
        """Add a user to a thread (the bot adds the member to a private thread it made)."""
        thread = self.state.channels.get(call.params["channel_id"])
        if thread is None or thread.get("type") not in (p.PUBLIC_THREAD, p.PRIVATE_THREAD):
            return error_response(404, UNKNOWN_CHANNEL, "Unknown Channel")
        if call.params["user_id"] not in self.state.users:
            return error_response(404, UNKNOWN_USER, "Unknown User")
        self.state.thread_members.setdefault(thread["id"], set()).add(call.params["user_id"])
        return web.Response(status=204)

    async def get_commands(self, call: Call) -> web.Response:
        """Return the registered commands of one scope."""
        return json_response(self.state.commands.get(call.params.get("guild_id"), []))

    async def put_commands(self, call: Call) -> web.Response:
        """Overwrite the commands of one scope, as `CommandTree.sync` does."""
        return json_response(self.state.put_commands(call.params.get("guild_id"), call.body))

    async def upsert_command(self, call: Call) -> web.Response:
        """Create or replace one command by name."""
        scope = call.params.get("guild_id")
        others = [c for c in self.state.commands.get(scope, []) if c["name"] != call.body["name"]]
        kept = [{k: v for k, v in c.items() if k != "id"} for c in others]
        stored = self.state.put_commands(scope, [*kept, call.body])
        return json_response(stored[-1], 201)

    def _message(self, call: Call) -> Json | None:
        found = self.state.find_message(call.params["message_id"])
        if found is None or found["channel_id"] != call.params["channel_id"]:
            return None
        return found


def announced_intent(message: Json) -> int:
    """Return the intent that lets the bot see MESSAGE_* events for a message."""
    return GUILD_MESSAGES if "guild_id" in message else DIRECT_MESSAGES
