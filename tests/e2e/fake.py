"""FakeDiscord: a loopback Discord (REST under /api/v10 and a gateway) for the real client."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.e2e.events import EventBuilders
from tests.e2e.exchange import Exchange
from tests.e2e.faults import Fault, FaultPlan, RateLimiter, json_response
from tests.e2e.gateway import GatewayServer
from tests.e2e.payloads import EPHEMERAL, Json
from tests.e2e.recording import AwaitableLog, RecordedRequest, read_body
from tests.e2e.rest import Call, RestApi, Router, announced_intent
from tests.e2e.spec import NO_OPERATION, SpecValidator
from tests.e2e.state import FakeState, InteractionRecord
from tests.e2e.webhooks import WebhookApi

API_PREFIX = "/api/v10"
# Interaction callbacks and webhooks need no bot token and escape the global rate limit.
_UNAUTHENTICATED = ("/interactions/", "/webhooks/")
NONCE_WINDOW = 300.0


class FakeDiscord(EventBuilders):
    """A loopback Discord on 127.0.0.1 that records, validates and can fail requests."""

    def __init__(
        self,
        *,
        validator: SpecValidator | None = None,
        ack_deadline: float = 3.0,
        global_rate: float | None = None,
        nonce_window: float = NONCE_WINDOW,
    ) -> None:
        """Build a world with one guild, one channel and one member besides the bot."""
        self.state = FakeState()
        self.validator = validator
        self.ack_deadline = ack_deadline
        self.clock: Callable[[], float] = time.monotonic
        self.nonce_window = nonce_window
        self.nonce_dedups = 0
        self.limits = RateLimiter()
        self.limits.set_global(global_rate)
        self.requests: AwaitableLog[RecordedRequest] = AwaitableLog("request")
        self.violations: list[str] = []
        self.expected_violations: list[re.Pattern[str]] = []
        self.faults = FaultPlan()
        self.gateway = GatewayServer(self.state)
        router = Router()
        RestApi(self, router)
        WebhookApi(self, router)
        self._router = router
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.user = self.state.add_user("alice")
        self.guild = self.state.add_guild("Mentoring Hub", members=[self.user])
        self.guild_id: str = self.guild["id"]
        self.channel_id: str = self.state.guilds[self.guild_id].channel_ids[0]

    @property
    def token(self) -> str:
        """Return the only bot token the fake accepts."""
        return self.state.token

    @property
    def application_id(self) -> str:
        """Return the bot's application id (also its user id)."""
        return self.state.application_id

    @property
    def api_base(self) -> str:
        """Return the value for `discord.http.Route.BASE`."""
        return f"{self.url}{API_PREFIX}"

    @property
    def global_429s(self) -> int:
        """Return how many requests the global rate limit turned away."""
        return self.limits.global_429s

    @property
    def bucket_429s(self) -> int:
        """Return how many message posts the per-channel bucket turned away."""
        return self.limits.bucket_429s

    def set_global_rate(self, rate: float | None, *, per: float = 1.0) -> None:
        """Limit each bot token to `rate` requests per second, as Discord does (None: off)."""
        self.limits.set_global(rate, per)

    def set_message_bucket(self, limit: int | None, *, per: float = 5.0) -> None:
        """Limit message posts per channel and token, with X-RateLimit-* headers (None: off)."""
        self.limits.set_message_bucket(limit, per)

    def add_bot(self, username: str) -> tuple[str, Json]:
        """Create another bot that may call the REST API (not the gateway); return token, user."""
        return self.state.add_bot(username)

    def add_user(self, username: str) -> Json:
        """Create a human user; add it to guilds with `add_guild(members=...)` or by use."""
        return self.state.add_user(username)

    def add_guild(
        self, name: str, *, members: list[Json] | None = None, channels: tuple[str, ...] = ()
    ) -> Json:
        """Create another guild before the bot connects (text channels default to general)."""
        return self.state.add_guild(name, members=members, channels=channels)

    def add_channel(self, name: str, guild_id: str | None = None) -> Json:
        """Add a text channel (the default guild unless told) before the bot connects."""
        return self.state.add_channel(guild_id or self.guild_id, name)

    def add_role(
        self,
        guild_id: str,
        name: str,
        *,
        members: list[Json] | None = None,
        permissions: int = 0,
    ) -> Json:
        """Create a role (a mentor role, say) and give it to members, before the bot connects."""
        return self.state.add_role(guild_id, name, members=members, permissions=permissions)

    def channel_named(self, name: str, guild_id: str | None = None) -> Json:
        """Return a guild text channel by name (in the default guild unless told)."""
        state = self.state.guilds[guild_id or self.guild_id]
        for channel_id in state.channel_ids:
            if self.state.channels[channel_id].get("name") == name:
                return self.state.channels[channel_id]
        raise KeyError(f"no channel #{name}")

    async def start(self) -> FakeDiscord:
        """Listen on a random port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.gateway.url = f"ws://{host}:{port}/gateway"
        return self

    async def stop(self) -> None:
        """Close the gateway sockets and the server."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        """Start the server."""
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the server."""
        await self.stop()

    async def dispatch(self, event: str, data: Json) -> int:
        """Send a gateway event to the bot and return its sequence number."""
        if event == "INTERACTION_CREATE":
            # The acknowledgement clock starts when Discord sends the event.
            loop = asyncio.get_running_loop()
            record = InteractionRecord(data, loop.time(), loop.create_future())
            self.state.interactions[data["token"]] = record
        return await self.gateway.dispatch(event, data)

    async def announce(self, event: str, message: Json) -> None:
        """Echo a MESSAGE_* event for a message, as Discord does when the intent allows."""
        if message["flags"] & EPHEMERAL or not self.gateway.wants(announced_intent(message)):
            return
        if self.gateway.session_id is None:
            return
        if event == "MESSAGE_DELETE":
            keys = ("id", "channel_id", "guild_id")
            message = {k: message[k] for k in keys if k in message}
        await self.gateway.dispatch(event, message)

    async def interact(self, payload: Json, timeout: float | None = None) -> Exchange:  # noqa: ASYNC109
        """Dispatch an interaction and fail unless the bot acknowledges it within 3 seconds."""
        timeout = self.ack_deadline if timeout is None else timeout
        start = len(self.requests)
        await self.dispatch("INTERACTION_CREATE", payload)
        record = self.state.interactions[payload["token"]]
        try:
            body = await asyncio.wait_for(asyncio.shield(record.acked), timeout)
        except TimeoutError:
            name = payload.get("data", {}).get("name") or payload.get("data", {}).get("custom_id")
            raise AssertionError(
                f"interaction {name!r} was not acknowledged within {timeout}s"
            ) from None
        elapsed = (record.acked_at or record.dispatched_at) - record.dispatched_at
        return Exchange(self.state, self.requests, record, body, elapsed, start)

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout: float = 3.0,  # noqa: ASYNC109
        *,
        start: int = 0,
    ) -> RecordedRequest:
        """Return the first request (from index `start`) matching a predicate, or fail."""
        return await self.requests.wait_for(predicate, timeout, start=start)

    def messages_in(self, channel_id: str) -> list[Json]:
        """Return the messages stored in a channel, oldest first."""
        return list(self.state.messages.get(channel_id, []))

    def message_counts(self) -> dict[str, int]:
        """Return how many messages each channel holds, for channels that hold any."""
        return {cid: len(stored) for cid, stored in self.state.messages.items() if stored}

    def duplicate_messages(
        self,
        key: str | Callable[[Json], Hashable] = "content",
        *,
        channel_id: str | None = None,
        author_id: str | None = None,
    ) -> dict[tuple[str, Hashable], list[Json]]:
        """Group a bot's messages that share a key within a channel; only repeats are kept.

        `key` is a message field ("content", "nonce") or a function of the message; messages
        whose key is None or empty are left out. The author defaults to the bot.
        """
        author_id = author_id or self.application_id
        value_of = key if callable(key) else (lambda message: message.get(key))
        channels = [channel_id] if channel_id is not None else list(self.state.messages)
        groups: dict[tuple[str, Hashable], list[Json]] = defaultdict(list)
        for cid in channels:
            for message in self.state.messages.get(cid, []):
                value = value_of(message)
                if message["author"]["id"] == author_id and value not in (None, ""):
                    groups[(cid, value)].append(message)
        return {group: found for group, found in groups.items() if len(found) > 1}

    def dm_channel_id(self, user: Json) -> str:
        """Return the id of the DM channel between the bot and a user."""
        return str(self.state.dm_channel_for(user["id"])["id"])

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 429,
        *,
        code: int | None = None,
        retry_after: float = 0.05,
        global_: bool = False,
        times: int = 1,
        message: str | None = None,
        lose_response: bool = False,
    ) -> Fault:
        """Make the next `times` matching requests fail (path relative to /api/v10).

        With `lose_response` the request takes effect first (the message is created) and only
        the answer is the failure, as when a response is lost on its way back.
        """
        return self.faults.add(
            method,
            path_regex,
            status=status,
            code=code,
            retry_after=retry_after,
            global_=global_,
            times=times,
            message=message,
            lose_response=lose_response,
        )

    def expect_violation(self, pattern: str) -> None:
        """Declare that a violation matching a regex must occur and is not a failure."""
        self.expected_violations.append(re.compile(pattern))

    def violation_report(self) -> list[str]:
        """List unexpected violations and expected ones that never occurred."""
        expected = self.expected_violations
        report = [v for v in self.violations if not any(e.search(v) for e in expected)]
        for pattern in expected:
            if not any(pattern.search(v) for v in self.violations):
                report.append(f"expected a violation matching {pattern.pattern!r}; none occurred")
        return report

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the bot's gateway socket; discord.py reconnects and RESUMEs."""
        await self.gateway.drop(code)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        now = self.clock()
        path = "/" + request.match_info["tail"]
        body, multipart, files = await read_body(request)
        recorded = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            body,
            multipart,
            files=files,
            at=now,
        )
        problems: list[str] = []
        if self.validator is not None:
            problems = self.validator.check(request.method, path, body, multipart=multipart)
            self.violations += problems
        author: Json | None = None
        bucket_headers: dict[str, str] = {}
        response: web.Response | None = None
        if not path.startswith(_UNAUTHENTICATED):
            token = request.headers.get("Authorization", "").removeprefix("Bot ")
            author = self.state.bot_tokens.get(token)
            if author is None:
                response = json_response({"message": "401: Unauthorized", "code": 0}, 401)
            else:
                response, bucket_headers = self.limits.check(request.method, path, token, now)
        fault = None if response is not None else self.faults.next_fault(request.method, path)
        if fault is not None and not fault.lose_response:
            response = fault.respond()
        if response is None:
            response = _invalid_form_body(problems)
        if response is None:
            response = await self._route(request, path, body, problems, author, recorded)
            if fault is not None:
                response = fault.respond()
        response.headers.update(bucket_headers)
        recorded.status = response.status
        if response.body:
            recorded.response = json.loads(response.body)  # type: ignore[arg-type]
        self.requests.append(recorded)
        return response

    async def _route(
        self,
        request: web.Request,
        path: str,
        body: Any,
        problems: list[str],
        author: Json | None,
        recorded: RecordedRequest,
    ) -> web.Response:
        found = self._router.resolve(request.method, path)
        if found is None:
            # A route the spec lacks was reported already; one the fake lacks is a gap to fill.
            if not any(p.endswith(NO_OPERATION) for p in problems):
                self.violations.append(f"{request.method} {path}: the fake does not implement this")
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        handler, params = found
        try:
            call = Call(request.method, path, params, dict(request.query), body, author, recorded)
            return await handler(call)
        except Exception as exc:
            # A 500 would make discord.py retry with backoff for seconds; fail fast and loud.
            self.violations.append(f"{request.method} {path}: the fake failed with {exc!r}")
            return json_response({"message": f"fake failed: {exc!r}", "code": 0}, 400)


def _invalid_form_body(problems: list[str]) -> web.Response | None:
    """Reject a body that breaks the spec, as Discord does with error 50035."""
    rejected = [p for p in problems if not p.endswith(NO_OPERATION)]
    if not rejected:
        return None
    errors = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": p} for p in rejected]}
    return json_response({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)
