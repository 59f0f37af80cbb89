"""The fake gateway websocket: HELLO, IDENTIFY or RESUME, heartbeats and dispatches, by shard.

A bot may connect several sessions, one per shard: IDENTIFY carries `shard: [id, count]`
(absent means [0, 1]). As on Discord, a guild's events go to shard `(guild_id >> 22) % count`,
and events without a guild (DMs, DM interactions) go to shard 0.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.e2e.payloads import Json
from tests.e2e.recording import AwaitableLog
from tests.e2e.state import FakeState

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT = 0, 1, 2, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
AUTHENTICATION_FAILED, INVALID_SHARD = 4004, 4010
GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 9, 1 << 12


def shard_of(guild_id: int | str | None, count: int) -> int:
    """The shard that receives a guild's events (Discord's formula); shard 0 without a guild."""
    return 0 if guild_id is None else (int(guild_id) >> 22) % count


@dataclass
class ShardSession:
    """One identified session: its shard, sequence, replay history and current socket."""

    shard: int
    count: int
    session_id: str
    intents: int
    socket: web.WebSocketResponse | None = None
    seq: int = 0
    # Serialized when sent, so later edits to a stored message do not rewrite history.
    history: list[tuple[int, str]] = field(default_factory=list)
    live: asyncio.Event = field(default_factory=asyncio.Event)
    dispatched: int = 0  # events other than READY, RESUMED and GUILD_CREATE


class GatewayServer:
    """Serve a bot's gateway sessions; events sent while one is away are replayed on RESUME."""

    def __init__(self, state: FakeState, *, heartbeat_interval_ms: int = 41_250) -> None:
        """Share the fake's world; the default interval is the one Discord sends."""
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.received: AwaitableLog[Json] = AwaitableLog("gateway payload")
        self.connections: list[dict[str, str]] = []
        # The shard count the sessions identified with, and the sessions by shard id.
        self.shard_count = 1
        self.sessions: dict[int, ShardSession] = {}
        # What GET /gateway/bot advises (an auto-sharded client connects this many).
        self.recommended_shards = 1
        self._sockets: set[web.WebSocketResponse] = set()
        self._send_lock = asyncio.Lock()
        # While set, connection attempts get HTTP 503 instead of a websocket (an outage).
        self.refusing = False
        self.refused = 0

    @property
    def main(self) -> ShardSession | None:
        """Shard 0's session: the one that receives DMs."""
        return self.sessions.get(0)

    @property
    def session_id(self) -> str | None:
        """Shard 0's session id, or None before it identified."""
        return self.main.session_id if self.main else None

    @property
    def seq(self) -> int:
        """Shard 0's last sequence number."""
        return self.main.seq if self.main else 0

    @property
    def intents(self) -> int:
        """The intents shard 0 identified with (every shard of one bot sends the same)."""
        return self.main.intents if self.main else 0

    @property
    def connected(self) -> bool:
        """Tell whether every identified shard is live on an open socket."""
        return bool(self.sessions) and all(s.live.is_set() for s in self.sessions.values())

    async def wait_live(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until shard 0's session is live (READY or RESUMED was sent)."""
        await self.wait_shards(1, timeout, shards=[0])

    async def wait_shards(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        shards: list[int] | None = None,
    ) -> None:
        """Wait until shards 0..count-1 (or the given ones) are identified and live."""
        wanted = list(range(count)) if shards is None else shards
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(i in self.sessions and self.sessions[i].live.is_set() for i in wanted):
            if loop.time() > deadline:
                live = sorted(i for i, s in self.sessions.items() if s.live.is_set())
                raise TimeoutError(f"shards {wanted} not all live within {timeout}s; live: {live}")
            await asyncio.sleep(0.02)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Run one websocket connection from HELLO until it closes."""
        if self.refusing:
            self.refused += 1
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        # discord.py asks for zlib/zstd transport compression; plain text frames are
        # accepted too, because it only decompresses binary frames.
        self.connections.append(dict(request.query))
        hello = {"heartbeat_interval": self.heartbeat_interval_ms}
        await ws.send_str(json.dumps({"op": HELLO, "d": hello, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._receive(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            for session in self.sessions.values():
                if session.socket is ws:
                    session.socket = None
                    session.live.clear()
        return ws

    def shard_for(self, data: Json) -> int:
        """The shard an event belongs to: its guild's, or shard 0."""
        return shard_of(data.get("guild_id"), self.shard_count)

    async def dispatch(self, event: str, data: Json, *, shard: int | None = None) -> int:
        """Send a DISPATCH event to its shard, or keep it for that shard's next RESUME."""
        target = self.shard_for(data) if shard is None else shard
        session = self.sessions.get(target)
        if session is None:
            raise RuntimeError(
                f"cannot dispatch {event}: no gateway session for shard {target} of "
                f"{self.shard_count} (is the bot running?)"
            )
        return await self._send(session, event, data)

    async def _send(self, session: ShardSession, event: str, data: Json) -> int:
        async with self._send_lock:
            session.seq += 1
            if event not in ("READY", "RESUMED", "GUILD_CREATE"):
                session.dispatched += 1
            frame = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
            session.history.append((session.seq, frame))
            if session.socket is not None and not session.socket.closed:
                await session.socket.send_str(frame)
            return session.seq

    def _chosen(self, shard: int | None) -> list[ShardSession]:
        if shard is None:
            return list(self.sessions.values())
        return [self.sessions[shard]] if shard in self.sessions else []

    async def drop(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close live sockets (every shard's, or one's) as Discord does on a disconnect."""
        for session in self._chosen(shard):
            socket, session.socket = session.socket, None
            session.live.clear()
            if socket is not None:
                await socket.close(code=code, message=b"dropped by the fake")

    async def send_reconnect(self, *, shard: int | None = None) -> None:
        """Ask the client to reconnect and resume (opcode 7), on every shard or one."""
        for session in self._chosen(shard):
            if session.socket is not None:
                await session.socket.send_str(json.dumps({"op": RECONNECT, "d": None}))

    async def close(self) -> None:
        """Close every socket when the server stops."""
        for session in self.sessions.values():
            session.live.clear()
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake Discord stopped")

    def wants(self, intent: int) -> bool:
        """Tell whether the sessions identified with an intent bit."""
        return bool(self.intents & intent)

    async def _receive(self, ws: web.WebSocketResponse, payload: Json) -> None:
        self.received.append(payload)
        op, data = payload.get("op"), payload.get("d") or {}
        if op == HEARTBEAT:
            await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
        elif op == IDENTIFY:
            await self._identify(ws, data)
        elif op == RESUME:
            await self._resume(ws, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(data)

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> None:
        if data.get("token") != self.state.token:
            await ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        shard, count = data.get("shard") or [0, 1]
        if not 0 <= shard < count:
            await ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        if count != self.shard_count:
            # A new shard count is a new deployment: sessions of the old one get nothing more.
            self.sessions.clear()
            self.shard_count = count
        session = ShardSession(shard, count, secrets.token_hex(16), int(data.get("intents") or 0))
        session.socket = ws
        self.sessions[shard] = session
        await self._send(session, "READY", self._ready_payload(session))
        for guild_id in self.state.guilds:
            if shard_of(guild_id, count) == shard:
                await self._send(session, "GUILD_CREATE", self.state.guild_create(guild_id))
        session.live.set()

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        session = next(
            (s for s in self.sessions.values() if s.session_id == data.get("session_id")), None
        )
        if data.get("token") != self.state.token or session is None:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        async with self._send_lock:
            session.socket = ws
            for seq, frame in session.history:
                if seq > (data.get("seq") or 0):
                    await ws.send_str(frame)
        await self._send(session, "RESUMED", {})
        session.live.set()

    async def _members_chunk(self, data: Json) -> None:
        guild = self.state.guilds[str(data["guild_id"])]
        chunk: dict[str, Any] = {
            "guild_id": guild.data["id"],
            "members": list(guild.members.values()),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _ready_payload(self, session: ShardSession) -> Json:
        guilds = [gid for gid in self.state.guilds if shard_of(gid, session.count) == session.shard]
        return {
            "v": 10,
            "user": self.state.bot_user,
            "guilds": [{"id": gid, "unavailable": True} for gid in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "shard": [session.shard, session.count],
            "application": {"id": self.state.application_id, "flags": 0},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
