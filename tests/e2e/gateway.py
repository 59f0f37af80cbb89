"""The fake gateway websocket: HELLO, IDENTIFY or RESUME, heartbeats and dispatches."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from tests.e2e.payloads import Json
from tests.e2e.recording import AwaitableLog
from tests.e2e.state import FakeState

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT = 0, 1, 2, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
AUTHENTICATION_FAILED = 4004
GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 9, 1 << 12


class GatewayServer:
    """Serve one bot's gateway session; events sent while it is away are replayed on RESUME."""

    def __init__(self, state: FakeState, *, heartbeat_interval_ms: int = 41_250) -> None:
        """Share the fake's world; the default interval is the one Discord sends."""
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.received: AwaitableLog[Json] = AwaitableLog("gateway payload")
        self.connections: list[dict[str, str]] = []
        self.session_id: str | None = None
        self.intents = 0
        self.seq = 0
        # Serialized when sent, so later edits to a stored message do not rewrite history.
        self._history: list[tuple[int, str]] = []
        self._socket: web.WebSocketResponse | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._live = asyncio.Event()
        self._send_lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """Tell whether a session is live on an open socket."""
        return self._live.is_set()

    async def wait_live(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a session is live (READY or RESUMED was sent)."""
        await asyncio.wait_for(self._live.wait(), timeout)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Run one websocket connection from HELLO until it closes."""
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
            if self._socket is ws:
                self._socket = None
                self._live.clear()
        return ws

    async def dispatch(self, event: str, data: Json) -> int:
        """Send a DISPATCH event, or keep it for the next RESUME if the bot is away."""
        if self.session_id is None:
            raise RuntimeError(f"cannot dispatch {event}: no gateway session (is the bot running?)")
        async with self._send_lock:
            self.seq += 1
            frame = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
            self._history.append((self.seq, frame))
            if self._socket is not None and not self._socket.closed:
                await self._socket.send_str(frame)
            return self.seq

    async def drop(self, code: int = 4000) -> None:
        """Close the live socket as Discord does on a server-side disconnect."""
        socket, self._socket = self._socket, None
        self._live.clear()
        if socket is not None:
            await socket.close(code=code, message=b"dropped by the fake")

    async def send_reconnect(self) -> None:
        """Ask the client to reconnect and resume (opcode 7)."""
        if self._socket is not None:
            await self._socket.send_str(json.dumps({"op": RECONNECT, "d": None}))

    async def close(self) -> None:
        """Close every socket when the server stops."""
        self._live.clear()
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake Discord stopped")

    def wants(self, intent: int) -> bool:
        """Tell whether the current session identified with an intent bit."""
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
        self.session_id = secrets.token_hex(16)
        self.seq, self._history, self.intents = 0, [], int(data.get("intents") or 0)
        self._socket = ws
        await self.dispatch("READY", self._ready_payload())
        for guild_id in self.state.guilds:
            await self.dispatch("GUILD_CREATE", self.state.guild_create(guild_id))
        self._live.set()

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        if data.get("token") != self.state.token or data.get("session_id") != self.session_id:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        async with self._send_lock:
            self._socket = ws
            for seq, frame in self._history:
                if seq > (data.get("seq") or 0):
                    await ws.send_str(frame)
        await self.dispatch("RESUMED", {})
        self._live.set()

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

    def _ready_payload(self) -> Json:
        return {
            "v": 10,
            "user": self.state.bot_user,
            "guilds": [{"id": gid, "unavailable": True} for gid in self.state.guilds],
            "session_id": self.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "shard": [0, 1],
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
