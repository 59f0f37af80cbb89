"""The outbox on a real SQLite file: once per occurrence, leases, owners, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import Member, OutboxMessage
from bot.db.uow import unit_of_work

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def member(sm: async_sessionmaker[AsyncSession], user_id: int = 1) -> int:
    async with unit_of_work(sm) as s:
        m = await repo.get_or_create_member(s, guild_id=1, user_id=user_id, display_name="m")
        return m.id


async def add(
    sm: async_sessionmaker[AsyncSession], member_id: int, key: str, due: datetime = NOW
) -> bool:
    async with unit_of_work(sm) as s:
        return await outbox.enqueue(
            s,
            member_id=member_id,
            kind="debrief",
            key=key,
            due_at=due,
            expires_at=due + timedelta(hours=6),
        )


async def test_an_occurrence_is_enqueued_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mid = await member(sessionmaker)
    assert await add(sessionmaker, mid, "2026-11-23") is True
    assert await add(sessionmaker, mid, "2026-11-23") is False
    assert await add(sessionmaker, mid, "2026-11-30") is True
    async with sessionmaker() as s:
        assert await outbox.counts(s) == {"pending": 2}


async def test_claim_takes_due_rows_in_order_and_leases_them(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mid = await member(sessionmaker)
    await add(sessionmaker, mid, "b", NOW - timedelta(minutes=1))
    await add(sessionmaker, mid, "a", NOW - timedelta(minutes=2))
    await add(sessionmaker, mid, "later", NOW + timedelta(hours=1))
    async with unit_of_work(sessionmaker) as s:
        rows = await outbox.claim(s, owner="p1", now=NOW, lease=LEASE, limit=10)
    assert [r.occurrence_key for r in rows] == ["a", "b"]
    assert all(r.lease_owner == "p1" and r.attempts == 1 for r in rows)
    async with unit_of_work(sessionmaker) as s:
        assert await outbox.claim(s, owner="p2", now=NOW, lease=LEASE, limit=10) == []
        again = await outbox.claim(s, owner="p2", now=NOW + LEASE * 2, lease=LEASE, limit=10)
    assert [r.occurrence_key for r in again] == ["a", "b"]
    assert all(r.attempts == 2 for r in again)


async def test_concurrent_claimers_never_share_a_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mids = [await member(sessionmaker, user_id) for user_id in range(1, 41)]
    for mid in mids:
        await add(sessionmaker, mid, "2026-11-23")

    async def claimer(name: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with unit_of_work(sessionmaker) as s:
                rows = await outbox.claim(s, owner=name, now=NOW, lease=LEASE, limit=3)
            if not rows:
                return taken
            taken.extend(r.id for r in rows)
            await asyncio.sleep(0)

    results = await asyncio.gather(*(claimer(f"p{i}") for i in range(4)))
    every = [row for taken in results for row in taken]
    assert sorted(every) == sorted(set(every))
    assert len(every) == 40


async def test_only_the_owner_can_settle(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    mid = await member(sessionmaker)
    await add(sessionmaker, mid, "k")
    async with unit_of_work(sessionmaker) as s:
        (row,) = await outbox.claim(s, owner="p1", now=NOW, lease=LEASE, limit=1)
    async with unit_of_work(sessionmaker) as s:
        # The lease ran out and p2 took the row over: p1's late success must not count.
        (taken,) = await outbox.claim(s, owner="p2", now=NOW + LEASE * 2, lease=LEASE, limit=1)
        assert taken.id == row.id
        assert not await outbox.settle(s, row.id, owner="p1", status="sent", now=NOW)
        assert await outbox.settle(
            s, row.id, owner="p2", status="sent", now=NOW, channel_id=5, message_id=6
        )
        assert not await outbox.settle(s, row.id, owner="p2", status="sent", now=NOW)
    async with sessionmaker() as s:
        stored = await s.get(OutboxMessage, row.id)
        assert stored is not None
        assert (stored.status, stored.channel_id, stored.message_id) == ("sent", 5, 6)


async def test_settle_rejects_a_non_final_status(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(ValueError, match="not a final status"):
            await outbox.settle(s, 1, owner="p1", status="pending", now=NOW)


async def test_retry_later_hides_a_row_until_then(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mid = await member(sessionmaker)
    await add(sessionmaker, mid, "k")
    async with unit_of_work(sessionmaker) as s:
        (row,) = await outbox.claim(s, owner="p1", now=NOW, lease=LEASE, limit=1)
        later = NOW + timedelta(seconds=5)
        assert await outbox.retry_later(s, row.id, owner="p1", at=later, error="HTTP 500")
    async with unit_of_work(sessionmaker) as s:
        assert (
            await outbox.claim(s, owner="p1", now=NOW + timedelta(seconds=4), lease=LEASE, limit=1)
            == []
        )
        (again,) = await outbox.claim(
            s, owner="p1", now=NOW + timedelta(seconds=6), lease=LEASE, limit=1
        )
    assert again.last_error == "HTTP 500"


async def test_overdue_rows_expire_unless_leased(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mid = await member(sessionmaker)
    await add(sessionmaker, mid, "leased", NOW - timedelta(hours=7))
    await add(sessionmaker, mid, "unleased", NOW - timedelta(hours=7))
    await add(sessionmaker, mid, "fresh", NOW - timedelta(hours=1))
    just_before = NOW - timedelta(seconds=1)
    async with unit_of_work(sessionmaker) as s:
        rows = await outbox.claim(s, owner="p1", now=just_before, lease=LEASE, limit=1)
        assert [r.occurrence_key for r in rows] == ["leased"]
        assert await outbox.expire_overdue(s, NOW) == 1
    async with sessionmaker() as s:
        found = await s.execute(select(OutboxMessage.occurrence_key, OutboxMessage.status))
        status = {key: value for key, value in found.all()}
    assert status == {"leased": "pending", "unleased": "expired", "fresh": "pending"}


async def test_closed_dms_cancel_queued_rows_and_mark_the_member(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    mid = await member(sessionmaker)
    await add(sessionmaker, mid, "a")
    await add(sessionmaker, mid, "b")
    async with unit_of_work(sessionmaker) as s:
        await outbox.mark_dms_closed(s, mid, NOW)
    async with sessionmaker() as s:
        assert await outbox.counts(s) == {"cancelled": 2}
        m = await s.get(Member, mid)
        assert m is not None
        assert m.dm_closed_at == NOW
    async with unit_of_work(sessionmaker) as s:
        await outbox.mark_dms_open(s, mid)
    async with sessionmaker() as s:
        m = await s.get(Member, mid)
        assert m is not None
        assert m.dm_closed_at is None
