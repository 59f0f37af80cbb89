"""Injected REST failures (forbidden sends, server errors) and Discord's rate limits."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e.payloads import Json

CANNOT_DM = 50007
MESSAGE_BUCKET = "f0a1c2e3d4b5a6978899aabbccddeeff"  # an opaque hash, as Discord sends
_CREATE_MESSAGE = re.compile(r"^/channels/(\d+)/messages$")
_DEFAULT_CODES = {403: CANNOT_DM, 404: 10008}
_MESSAGES = {
    CANNOT_DM: "Cannot send messages to this user",
    10008: "Unknown Message",
    10062: "Unknown interaction",
    50001: "Missing Access",
    50013: "Missing Permissions",
}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer with a JSON body and exactly `Content-Type: application/json`."""
    # discord.py compares the header to "application/json" verbatim, so aiohttp's
    # json_response (which appends "; charset=utf-8") would turn every body into text.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def error_response(status: int, code: int, message: str | None = None) -> web.Response:
    """Answer with Discord's JSON error shape."""
    text = message or _MESSAGES.get(code) or f"{status}: Error"
    return json_response({"message": text, "code": code}, status)


def rate_limited_response(
    retry_after: float,
    *,
    global_: bool,
    code: int = 0,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Answer 429 the way Discord does, with the body and headers discord.py reads."""
    body: Json = {
        "message": message or "You are being rate limited.",
        "retry_after": retry_after,
        "global": global_,
        "code": code,
    }
    all_headers = {
        # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up.
        "Via": "1.1 google",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "global" if global_ else "user",
        **(headers or {}),
    }
    if global_:
        all_headers["X-RateLimit-Global"] = "true"
    return json_response(body, 429, all_headers)


@dataclass
class Fault:
    """A planned failure for the next `times` requests that match."""

    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    retry_after: float
    global_: bool
    remaining: int
    message: str | None = None
    lose_response: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Tell whether a request should get this failure."""
        return (
            self.remaining > 0
            and method.upper() == self.method
            and self.pattern.search(path) is not None
        )

    def respond(self) -> web.Response:
        """Use up one of the planned failures and build its response."""
        self.remaining -= 1
        self.hits += 1
        if self.status == 429:
            return self._rate_limited()
        if self.status >= 500:
            return json_response(
                {"message": f"{self.status}: Server Error", "code": 0}, self.status
            )
        return error_response(self.status, self.code, self.message)

    def _rate_limited(self) -> web.Response:
        return rate_limited_response(
            self.retry_after, global_=self.global_, code=self.code, message=self.message
        )


class FaultPlan:
    """The failures a test asked for, consumed in the order they were planned."""

    def __init__(self) -> None:
        """Start with no failures planned."""
        self.faults: list[Fault] = []

    def add(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        code: int | None,
        retry_after: float,
        global_: bool,
        times: int,
        message: str | None,
        lose_response: bool = False,
    ) -> Fault:
        """Plan a failure and return it so a test can check its `hits`."""
        fault = Fault(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            code=_DEFAULT_CODES.get(status, 0) if code is None else code,
            retry_after=retry_after,
            global_=global_,
            remaining=times,
            message=message,
            lose_response=lose_response,
        )
        self.faults.append(fault)
        return fault

    def next_fault(self, method: str, path: str) -> Fault | None:
        """Return the planned failure a request should get, if any (not yet used up)."""
        for fault in self.faults:
            if fault.matches(method, path):
                return fault
        return None

    def take(self, method: str, path: str) -> web.Response | None:
        """Return the failure response for a request, if one is planned."""
        fault = self.next_fault(method, path)
        return None if fault is None else fault.respond()


@dataclass
class Window:
    """One window of a limit: when it opened and how many requests it let through."""

    opened: float
    used: int = 0


@dataclass
class WindowLimit:
    """Let `limit` requests per key through in each window of `per` seconds.

    A window opens with the first request after the previous one closed, as Discord's buckets
    reset a fixed time after their first request; requests turned away do not count.
    """

    limit: int
    per: float
    windows: dict[Hashable, Window] = field(default_factory=dict)

    def admit(self, key: Hashable, now: float) -> tuple[Window, bool]:
        """Count a request against its key's window; tell whether it may go through."""
        window = self.windows.get(key)
        if window is None or now >= window.opened + self.per:
            window = self.windows[key] = Window(now)
        if window.used >= self.limit:
            return window, False
        window.used += 1
        return window, True

    def reset_after(self, window: Window, now: float) -> float:
        """Return the seconds until a window closes, rounded up to Discord's milliseconds."""
        # Rounding down would let a client that sleeps exactly this long arrive too early.
        return math.ceil(max(0.0, window.opened + self.per - now) * 1000) / 1000


class RateLimiter:
    """Discord's global limit per bot token and, when set, the per-channel message bucket."""

    def __init__(self) -> None:
        """Start with both limits off, so tests that do not ask are never slowed down."""
        self.global_limit: WindowLimit | None = None
        self.message_limit: WindowLimit | None = None
        self.global_429s = 0
        self.bucket_429s = 0

    def set_global(self, rate: float | None, per: float = 1.0) -> None:
        """Allow `rate` requests per second per token (None turns the limit off)."""
        self.global_limit = None if rate is None else WindowLimit(max(1, round(rate * per)), per)

    def set_message_bucket(self, limit: int | None, per: float) -> None:
        """Allow `limit` message posts per channel per token every `per` seconds (None: off)."""
        self.message_limit = None if limit is None else WindowLimit(limit, per)

    def check(
        self, method: str, path: str, token: str, now: float
    ) -> tuple[web.Response | None, dict[str, str]]:
        """Return a 429 for a request over a limit, else the bucket headers its answer gets."""
        if self.global_limit is not None:
            window, admitted = self.global_limit.admit(token, now)
            if not admitted:
                self.global_429s += 1
                retry_after = self.global_limit.reset_after(window, now)
                return rate_limited_response(retry_after, global_=True), {}
        if self.message_limit is None or method != "POST":
            return None, {}
        found = _CREATE_MESSAGE.match(path)
        if found is None:
            return None, {}
        bucket = self.message_limit
        window, admitted = bucket.admit((token, found[1]), now)
        reset_after = bucket.reset_after(window, now)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.limit - window.used),
            "X-RateLimit-Reset": f"{math.ceil((time.time() + reset_after) * 1000) / 1000:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": MESSAGE_BUCKET,
        }
        if admitted:
            return None, headers
        self.bucket_429s += 1
        return rate_limited_response(reset_after, global_=False, headers=headers), {}
