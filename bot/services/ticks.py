"""APScheduler runs the in-process ticks only; the schedule itself lives in our tables."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
Work = Callable[[], Awaitable[object]]


class _SkipNoise(logging.Filter):
    """Drop 'skipped: maximum number of running instances': a long send pass is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


_SKIP_NOISE = _SkipNoise()


class Ticks:
    """A planner tick every few seconds and a sender pass every second, never overlapping."""

    def __init__(self) -> None:
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[object]] = set()
        self.last_tick: dict[str, datetime] = {}
        # Read by the health check: when ticking began, how often each job runs, and which
        # job is mid-pass (a long send pass is busy, not stuck).
        self.started_at: datetime | None = None
        self.intervals: dict[str, float] = {}
        self.running_since: dict[str, datetime] = {}

    def start(
        self,
        planner: Work,
        sender: Work,
        *,
        planner_every: float = 30.0,
        extra: Mapping[str, tuple[Work, float]] | None = None,
    ) -> None:
        """Start both jobs (and any `extra` ones: name -> (work, seconds)); never overlapping."""
        logging.getLogger("apscheduler.scheduler").addFilter(_SKIP_NOISE)
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        self.started_at = now
        jobs = {"planner": (planner, planner_every), "sender": (sender, 1.0), **(extra or {})}
        self.intervals = {name: every for name, (_, every) in jobs.items()}
        for name, (work, every) in jobs.items():
            scheduler.add_job(
                self._guarded(name, work),
                "interval",
                seconds=every,
                id=name,
                max_instances=1,
                coalesce=True,
                next_run_time=now,
            )
        scheduler.start()
        self._scheduler = scheduler

    def _guarded(self, name: str, work: Work) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)  # type: ignore[arg-type]
            self.running_since[name] = datetime.now(UTC)
            try:
                await work()
                self.last_tick[name] = datetime.now(UTC)
            except Exception:  # a failed tick is logged; the next one tries again
                log.exception("%s tick failed", name)
            finally:
                self.running_since.pop(name, None)
                if task is not None:
                    self._running.discard(task)  # type: ignore[arg-type]

        return run

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop scheduling ticks and let the ones running finish their transaction."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=timeout)
            for task in late:
                task.cancel()
