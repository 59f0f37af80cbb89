"""The sender: claims due outbox rows under a lease and sends them at a steady pace."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db.models import Member, OutboxMessage
from bot.db.uow import unit_of_work
from bot.domain.ratelimit import DEFAULT_RATE, TokenBucket
from bot.domain.schedule import nudge_due
from bot.domain.timezones import is_valid_zone
from bot.observability import metrics
from bot.services.clock import Clock, SystemClock
from bot.services.ports import DMClosed, DMPort, OutgoingDM, TransientSendError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# A claim takes about this many seconds of sending: with several processes each takes a
# small batch at a time, so all of them share a burst instead of the first taking it all.
BATCH_SECONDS = 5.0
NUDGE_GRACE = timedelta(hours=6)

Compose = Callable[[OutboxMessage], Awaitable[OutgoingDM | None]]


@dataclass
class DispatchReport:
    """What one pass of the sender did."""

    sent: int = 0
    undeliverable: int = 0
    expired: int = 0
    cancelled: int = 0
    retried: int = 0
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Rows settled or put back in this pass."""
        return self.sent + self.undeliverable + self.expired + self.cancelled + self.retried


class Dispatcher:
    """Send what the outbox holds, once, at no more than `rate` requests a second."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: DMPort,
        compose: Compose,
        *,
        clock: Clock | None = None,
        rate: float = DEFAULT_RATE,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 200,
        concurrency: int = 16,
        owner: str | None = None,
    ) -> None:
        self._sm = sessionmaker
        self._port = port
        self._compose = compose
        self._clock = clock or SystemClock()
        self._bucket = TokenBucket(rate=rate)
        self._lease = lease
        # A batch must be sent well within the lease, or another sender could take rows over.
        seconds = min(BATCH_SECONDS, lease.total_seconds() / 2)
        self._batch = max(1, min(batch, int(rate * seconds)))
        self._slots = asyncio.Semaphore(concurrency)
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"

    async def _paced(self) -> None:
        """Wait for this request's turn in the token bucket."""
        loop = asyncio.get_running_loop()
        wait = self._bucket.reserve(loop.time())
        if wait > 0:
            await asyncio.sleep(wait)

    async def run_once(self) -> DispatchReport:
        """Expire stale rows, then claim and send batches until nothing is due."""
        report = DispatchReport()
        async with unit_of_work(self._sm) as s:
            expired = await outbox.expire_overdue(s, self._clock.now())
        report.expired += expired
        metrics.scheduled_dms("expired", expired)
        while True:
            async with unit_of_work(self._sm) as s:
                rows = await outbox.claim(
                    s, owner=self.owner, now=self._clock.now(), lease=self._lease, limit=self._batch
                )
                members = await _members(s, {r.member_id for r in rows})
            if not rows:
                return report
            await asyncio.gather(*(self._deliver(r, members[r.member_id], report) for r in rows))

    async def _deliver(self, row: OutboxMessage, member: Member, report: DispatchReport) -> None:
        async with self._slots:
            try:
                await self._send(row, member, report)
            except Exception as exc:  # one bad row must not stop the others
                log.exception("outbox row %s failed", row.id)
                report.errors.append(f"{row.id}: {exc!r}")
                try:
                    await self._retry(row, report, f"{type(exc).__name__}: {exc}", 30.0)
                except Exception:  # the lease runs out and the row is claimed again
                    log.exception("outbox row %s could not be put back", row.id)

    async def _send(self, row: OutboxMessage, member: Member, report: DispatchReport) -> None:
        now = self._clock.now()
        if row.expires_at < now:
            await self._settle(row, report, "expired")
            return
        dm = await self._compose(row)
        if dm is None or member.dm_closed_at is not None:
            await self._settle(row, report, "cancelled")
            return
        try:
            channel_id = member.dm_channel_id
            if channel_id is None:
                await self._paced()
                channel_id = await self._port.open_dm(member.user_id)
                await self._remember_channel(member.id, channel_id)
            await self._paced()
            # The nonce is stable per row: a resend after a crash returns the first message.
            message_id = await self._port.send(channel_id, dm, nonce=f"outbox-{row.id}")
        except DMClosed:
            async with unit_of_work(self._sm) as s:
                if await outbox.settle(
                    s, row.id, owner=self.owner, status="undeliverable", now=now, error="DMs closed"
                ):
                    report.undeliverable += 1
                    metrics.scheduled_dms("undeliverable")
                await outbox.mark_dms_closed(s, member.id, now)
            return
        except TransientSendError as exc:
            await self._retry(row, report, str(exc), exc.retry_after)
            return
        await self._settle(
            row,
            report,
            "sent",
            channel_id=channel_id,
            message_id=message_id,
            zone=member.timezone,
        )

    async def _settle(
        self,
        row: OutboxMessage,
        report: DispatchReport,
        status: str,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        zone: str | None = None,
    ) -> None:
        now = self._clock.now()
        async with unit_of_work(self._sm) as s:
            owned = await outbox.settle(
                s,
                row.id,
                owner=self.owner,
                status=status,
                now=now,
                channel_id=channel_id,
                message_id=message_id,
            )
            if owned and status == "sent" and row.kind == "debrief":
                # One gentle nudge a few hours on, moved out of the member's night.
                nudge_at = nudge_due(now, zone if zone and is_valid_zone(zone) else None)
                await outbox.enqueue(
                    s,
                    member_id=row.member_id,
                    kind="nudge",
                    key=row.occurrence_key,
                    due_at=nudge_at,
                    expires_at=nudge_at + NUDGE_GRACE,
                    payload={"debrief_id": row.id},
                )
        if not owned:
            report.lost_lease += 1
            log.warning("outbox row %s was taken over before it was settled", row.id)
            return
        setattr(report, status, getattr(report, status) + 1)
        metrics.scheduled_dms(status)

    async def _retry(
        self, row: OutboxMessage, report: DispatchReport, error: str, after: float
    ) -> None:
        now = self._clock.now()
        async with unit_of_work(self._sm) as s:
            if row.attempts >= MAX_ATTEMPTS:
                done = await outbox.settle(
                    s, row.id, owner=self.owner, status="undeliverable", now=now, error=error[:200]
                )
                report.undeliverable += int(done)
                metrics.scheduled_dms("undeliverable", int(done))
                return
            # Back off harder with every attempt so a failing row cannot hammer Discord.
            delay = timedelta(seconds=max(after, 2.0**row.attempts))
            if await outbox.retry_later(s, row.id, owner=self.owner, at=now + delay, error=error):
                report.retried += 1

    async def _remember_channel(self, member_id: int, channel_id: int) -> None:
        async with unit_of_work(self._sm) as s:
            await s.execute(
                update(Member).where(Member.id == member_id).values(dm_channel_id=channel_id)
            )


async def _members(s: AsyncSession, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = await s.execute(select(Member).where(Member.id.in_(ids)))
    return {m.id: m for m in rows.scalars()}
