"""Health checks: gateway connected, database reachable, scheduler ticking."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.observability.metrics import HEALTH


@dataclass(frozen=True)
class Check:
    """The outcome of one health check, with a short reason an operator can act on."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class Report:
    """Every check at one moment; healthy only when all of them pass."""

    checks: dict[str, Check]

    @property
    def healthy(self) -> bool:
        """Say whether every check passes."""
        return all(c.ok for c in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        """The body of /healthz."""
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in self.checks.items()},
        }


Instant = Callable[[], Check]
Probe = Callable[[], Awaitable[Check]]


class HealthMonitor:
    """Cheap checks run on every request; probes run in the background and are cached.

    Caching the probes means a storm of /healthz requests never reaches the database. A
    probe result older than `stale_after` counts as a failure, so a probe that hangs
    cannot leave an old success standing.
    """

    def __init__(
        self,
        *,
        instant: Mapping[str, Instant] | None = None,
        probes: Mapping[str, Probe] | None = None,
        every: float = 5.0,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._instant = dict(instant or {})
        self._probes = dict(probes or {})
        self.every = every
        self.timeout = timeout
        self.stale_after = 2 * every + timeout
        self._clock = clock
        self._latest: dict[str, tuple[float, Check]] = {}
        self._task: asyncio.Task[None] | None = None

    async def poll(self) -> None:
        """Run every probe once, each bounded by the timeout, and keep the results."""
        names = list(self._probes)
        results = await asyncio.gather(*(self._run(self._probes[n]) for n in names))
        now = self._clock()
        for name, result in zip(names, results, strict=True):
            self._latest[name] = (now, result)

    async def _run(self, probe: Probe) -> Check:
        try:
            async with asyncio.timeout(self.timeout):
                return await probe()
        except TimeoutError:
            return Check(False, f"no answer within {self.timeout:g} s")
        except Exception as exc:  # any failure of a probe is the answer, not a crash
            return Check(False, describe_error(exc))

    async def _loop(self) -> None:
        while True:
            await self.poll()
            await asyncio.sleep(self.every)

    def start(self) -> None:
        """Probe now and then every `every` seconds, until stopped."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="health-probes")

    async def stop(self) -> None:
        """Stop probing."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def report(self) -> Report:
        """Every check as of now; also sets the health gauge for /metrics."""
        checks: dict[str, Check] = {}
        for name, check in self._instant.items():
            try:
                checks[name] = check()
            except Exception as exc:  # a broken check reports itself as failing
                checks[name] = Check(False, describe_error(exc))
        now = self._clock()
        for name in self._probes:
            latest = self._latest.get(name)
            if latest is None:
                checks[name] = Check(False, "not checked yet")
                continue
            at, result = latest
            if now - at > self.stale_after:
                checks[name] = Check(False, f"no probe result for {now - at:.0f} s")
            else:
                checks[name] = result
        for name, result in checks.items():
            HEALTH.labels(check=name).set(1 if result.ok else 0)
        return Report(checks)


def describe_error(exc: BaseException) -> str:
    """A one-line reason: the driver's own message where there is one, never a statement."""
    inner = getattr(exc, "orig", None) or exc
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    text = f"{type(inner).__name__}: {first}" if first else type(inner).__name__
    return text[:200]


class _KeepAlive(Protocol):
    interval: float | None
    _last_recv: float


class GatewayClient(Protocol):
    """What the gateway check reads from a discord.py client."""

    def is_closed(self) -> bool:
        """Say whether the client has been closed."""
        ...

    def is_ready(self) -> bool:
        """Say whether the client has received READY."""
        ...

    @property
    def latency(self) -> float:
        """The last heartbeat's round trip in seconds (infinite before the first)."""
        ...


def gateway_check(
    client: GatewayClient, *, grace: float = 10.0, now: Callable[[], float] = time.perf_counter
) -> Instant:
    """Connected: ready, not closed, the socket open, and the gateway heard from recently.

    A closed socket fails at once. A silent connection fails once nothing (not even a
    heartbeat acknowledgement) has arrived for one heartbeat interval plus `grace`.
    """

    def check() -> Check:
        if client.is_closed():
            return Check(False, "the bot is shut down")
        if not client.is_ready():
            return Check(False, "not connected to the gateway yet")
        ws = getattr(client, "ws", None)
        if ws is None or not ws.open:
            return Check(False, "disconnected from the gateway")
        # discord.py's keep-alive thread stamps every frame received (perf_counter clock).
        beat: _KeepAlive | None = getattr(ws, "_keep_alive", None)
        if beat is not None and beat.interval:
            silent = now() - beat._last_recv
            if silent > beat.interval + grace:
                return Check(False, f"nothing from the gateway for {silent:.0f} s")
        latency = client.latency
        if math.isfinite(latency):
            return Check(True, f"connected, heartbeat latency {latency * 1000:.0f} ms")
        return Check(True, "connected")

    return check


class TickSource(Protocol):
    """What the scheduler check reads from bot.services.ticks.Ticks."""

    started_at: datetime | None
    intervals: dict[str, float]
    last_tick: dict[str, datetime]
    running_since: dict[str, datetime]


# A sender pass with thousands of DMs due runs for minutes at 40/s; longer means stuck.
LONGEST_PASS = 900.0


def scheduler_check(
    ticks: TickSource,
    *,
    enabled: bool = True,
    slack: float = 5.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Instant:
    """Ticking: each job finished a tick within three intervals plus slack, or is mid-pass."""

    def check() -> Check:
        if not enabled:
            return Check(True, "off in this process (SCHEDULER_ENABLED=false)")
        if ticks.started_at is None:
            return Check(False, "the scheduler has not started")
        moment = now()
        late: list[str] = []
        for name, every in sorted(ticks.intervals.items()):
            running = ticks.running_since.get(name)
            if running is not None and (moment - running).total_seconds() <= LONGEST_PASS:
                continue
            last = ticks.last_tick.get(name, ticks.started_at)
            age = (moment - last).total_seconds()
            if age > 3 * every + slack:
                late.append(f"{name} has not finished a tick for {age:.0f} s")
        if late:
            return Check(False, "; ".join(late))
        return Check(True, "ticking: " + ", ".join(sorted(ticks.intervals)))

    return check
