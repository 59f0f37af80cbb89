"""The sender on a real SQLite file with a recording DM port."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import Member, OutboxMessage
from bot.db.uow import unit_of_work
from bot.services.clock import FixedClock
from bot.services.dispatch import Dispatcher
from bot.services.ports import DMClosed, OutgoingDM, TransientSendError
from bot.services.reminders import Reminders

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class RecordingPort:
    """Keeps sent DMs; honours nonces like Discord's enforce_nonce; can fail on demand."""

    def __init__(self) -> None:
        self.sent: dict[str, tuple[int, OutgoingDM]] = {}
        self.sends = 0
        self.opened: list[int] = []
        self.closed_users: set[int] = set()
        self.transient_failures = 0

    async def open_dm(self, user_id: int) -> int:
        if user_id in self.closed_users:
            raise DMClosed()
        self.opened.append(user_id)
        return 900_000 + user_id

    async def send(self, channel_id: int, dm: OutgoingDM, nonce: str) -> int:
        self.sends += 1
        if channel_id - 900_000 in self.closed_users:
            raise DMClosed()
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientSendError("HTTP 503", retry_after=1.0)
        if nonce not in self.sent:
            self.sent[nonce] = (channel_id, dm)
        return 1_000_000 + list(self.sent).index(nonce)


async def seed(sm: async_sessionmaker[AsyncSession], users: int, due: datetime = NOW) -> None:
    async with unit_of_work(sm) as s:
        for user_id in range(1, users + 1):
            m = await repo.get_or_create_member(s, guild_id=1, user_id=user_id, display_name="m")
            await outbox.enqueue(
                s,
                member_id=m.id,
                kind="debrief",
                key="2026-11-23",
                due_at=due,
                expires_at=due + timedelta(hours=6),
            )


def dispatcher(
    sm: async_sessionmaker[AsyncSession], port: RecordingPort, clock: FixedClock, **kw: object
) -> Dispatcher:
    return Dispatcher(sm, port, Reminders(sm).compose, clock=clock, rate=1000, **kw)  # type: ignore[arg-type]


async def statuses(sm: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sm() as s:
        return await outbox.counts(s)


async def test_due_rows_are_sent_once_with_buttons_and_nudges_queued(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FixedClock(NOW)
    port = RecordingPort()
    await seed(sessionmaker, 30)
    report = await dispatcher(sessionmaker, port, clock).run_once()
    assert report.sent == 30
    assert len(port.sent) == 30
    assert port.sends == 30
    _channel, dm = next(iter(port.sent.values()))
    assert "weekly debrief" in dm.content
    assert [b.label for b in dm.buttons] == ["Start debrief", "Snooze 1 hour", "Skip this week"]
    assert await statuses(sessionmaker) == {"sent": 30, "pending": 30}
    async with sessionmaker() as s:
        members = list((await s.execute(select(Member))).scalars())
        nudges = list(
            (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))).scalars()
        )
    assert all(m.dm_channel_id == 900_000 + m.user_id for m in members)
    assert {n.due_at for n in nudges} == {NOW + timedelta(hours=4)}
    second = await dispatcher(sessionmaker, port, clock).run_once()
    assert second.handled == 0
    assert port.sends == 30


async def test_the_pace_stays_under_the_rate(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await seed(sessionmaker, 60)
    port = RecordingPort()
    sender = Dispatcher(
        sessionmaker, port, Reminders(sessionmaker).compose, clock=FixedClock(NOW), rate=100
    )
    started = time.perf_counter()
    report = await sender.run_once()
    elapsed = time.perf_counter() - started
    assert report.sent == 60
    # 60 DM opens and 60 sends at 100 a second take at least 1.19 s.
    assert elapsed >= 1.19


async def test_closed_dms_mean_one_attempt_then_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FixedClock(NOW)
    port = RecordingPort()
    port.closed_users.add(1)
    await seed(sessionmaker, 2)
    async with unit_of_work(sessionmaker) as s:
        member = await repo.find_member(s, guild_id=1, user_id=1)
        assert member is not None
        await outbox.enqueue(
            s,
            member_id=member.id,
            kind="debrief",
            key="2026-11-30",
            due_at=NOW + timedelta(days=7),
            expires_at=NOW + timedelta(days=7, hours=6),
        )
    report = await dispatcher(sessionmaker, port, clock).run_once()
    assert report.undeliverable == 1
    assert report.sent == 1
    attempts = port.sends
    clock.advance(timedelta(days=7))
    later = await dispatcher(sessionmaker, port, clock).run_once()
    assert later.sent == 0
    assert later.undeliverable == 0
    assert port.sends == attempts
    async with sessionmaker() as s:
        rows = (await s.execute(select(OutboxMessage.occurrence_key, OutboxMessage.status))).all()
    by_status = sorted((k, st) for k, st in rows if st != "pending" or k != "2026-11-23")
    assert ("2026-11-30", "cancelled") in by_status
    assert ("2026-11-23", "undeliverable") in by_status


async def test_transient_failures_are_retried_later(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = FixedClock(NOW)
    port = RecordingPort()
    port.transient_failures = 1
    await seed(sessionmaker, 1)
    first = await dispatcher(sessionmaker, port, clock).run_once()
    assert first.retried == 1
    assert first.sent == 0
    clock.advance(timedelta(seconds=1))
    assert (await dispatcher(sessionmaker, port, clock).run_once()).handled == 0
    clock.advance(timedelta(seconds=5))
    assert (await dispatcher(sessionmaker, port, clock).run_once()).sent == 1


async def test_rows_past_their_grace_window_expire_unsent(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await seed(sessionmaker, 3, due=NOW - timedelta(hours=7))
    port = RecordingPort()
    report = await dispatcher(sessionmaker, port, FixedClock(NOW)).run_once()
    assert report.expired == 3
    assert port.sends == 0


async def test_a_resend_after_a_lost_lease_reuses_the_nonce(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A sender that died after sending but before settling: the next one sends the same nonce."""
    clock = FixedClock(NOW)
    await seed(sessionmaker, 1)
    async with unit_of_work(sessionmaker) as s:
        (row,) = await outbox.claim(s, owner="dead", now=NOW, lease=timedelta(seconds=60), limit=1)
    port = RecordingPort()
    await port.send(900_001, OutgoingDM("first copy"), nonce=f"outbox-{row.id}")
    clock.advance(timedelta(seconds=61))
    report = await dispatcher(sessionmaker, port, clock).run_once()
    assert report.sent == 1
    assert port.sends == 2
    assert len(port.sent) == 1


@pytest.mark.parametrize("answered", [True, False])
async def test_nudge_only_when_the_debrief_went_unanswered(
    sessionmaker: async_sessionmaker[AsyncSession], answered: bool
) -> None:
    clock = FixedClock(NOW)
    port = RecordingPort()
    await seed(sessionmaker, 1)
    await dispatcher(sessionmaker, port, clock).run_once()
    if answered:
        async with unit_of_work(sessionmaker) as s:
            debrief = (
                await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "debrief"))
            ).scalar_one()
            debrief.answered_at = NOW + timedelta(minutes=5)
    clock.advance(timedelta(hours=4))
    report = await dispatcher(sessionmaker, port, clock).run_once()
    assert (report.sent, report.cancelled) == ((0, 1) if answered else (1, 0))
    clock.advance(timedelta(days=1))
    assert (await dispatcher(sessionmaker, port, clock).run_once()).handled == 0


async def test_the_nudge_waits_for_the_members_morning(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await seed(sessionmaker, 1)
    async with unit_of_work(sessionmaker) as s:
        member = await repo.find_member(s, guild_id=1, user_id=1)
        assert member is not None
        member.timezone = "Asia/Tokyo"  # 09:00 UTC is 18:00 there; four hours on is 22:00
    await dispatcher(sessionmaker, RecordingPort(), FixedClock(NOW)).run_once()
    async with sessionmaker() as s:
        nudge = (
            await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))
        ).scalar_one()
    assert nudge.due_at == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
