"""Injected REST failures: rate limits, forbidden sends, server errors."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.e2e.payloads import Json

CANNOT_DM = 50007
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
        body: Json = {
            "message": self.message or "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.global_,
            "code": self.code,
        }
        headers = {
            # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up.
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Scope": "global" if self.global_ else "user",
        }
        if self.global_:
            headers["X-RateLimit-Global"] = "true"
        return json_response(body, 429, headers)


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
        )
        self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> web.Response | None:
        """Return the failure response for a request, if one is planned."""
        for fault in self.faults:
            if fault.matches(method, path):
                return fault.respond()
        return None
