"""The outbox of scheduled DMs: enqueue once, claim under a lease, settle only as the owner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OutboxMessage
from bot.db.repositories import upsert_insert

SETTLED = ("sent", "undeliverable", "expired", "cancelled")


async def enqueue(
    s: AsyncSession,
    *,
    member_id: int,
    kind: str,
    key: str,
    due_at: datetime,
    expires_at: datetime,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add an occurrence unless it exists already; return whether it was added."""
    insert = upsert_insert(s, OutboxMessage)
    stmt = (
        insert.values(
            member_id=member_id,
            kind=kind,
            occurrence_key=key,
            due_at=due_at,
            expires_at=expires_at,
            status="pending",
            attempts=0,
            payload=payload or {},
        )
        .on_conflict_do_nothing(index_elements=["member_id", "kind", "occurrence_key"])
        .returning(OutboxMessage.id)
    )
    return (await s.execute(stmt)).scalar_one_or_none() is not None


def _claimable(now: datetime) -> Any:
    """Pending, due, and either never leased or with a lease that ran out."""
    return and_(
        OutboxMessage.status == "pending",
        OutboxMessage.due_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )


async def claim(
    s: AsyncSession, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to `owner` in one statement and return them."""
    chosen = (
        select(OutboxMessage.id)
        .where(_claimable(now))
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if s.get_bind().dialect.name == "postgresql":
        # Several processes claim at once: each skips rows another is claiming. The choice
        # is materialised so it runs once: as an IN subquery PostgreSQL may rescan it per
        # row, and each rescan skips the rows just updated and locks `limit` more.
        locked = chosen.with_for_update(skip_locked=True).cte("chosen").prefix_with("MATERIALIZED")
        chosen = select(locked.c.id)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen.scalar_subquery()), _claimable(now))
        .values(
            lease_owner=owner,
            lease_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list((await s.execute(stmt)).scalars())
    rows.sort(key=lambda r: (r.due_at, r.id))
    return rows


async def settle(
    s: AsyncSession,
    row_id: int,
    *,
    owner: str,
    status: str,
    now: datetime,
    channel_id: int | None = None,
    message_id: int | None = None,
    error: str | None = None,
) -> bool:
    """Mark a claimed row sent, undeliverable, expired or cancelled, only while `owner` holds it."""
    if status not in SETTLED:
        raise ValueError(f"not a final status: {status}")
    values: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
    if status == "sent":
        values.update(sent_at=now, channel_id=channel_id, message_id=message_id)
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.lease_owner == owner,
            OutboxMessage.status == "pending",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return (await s.execute(stmt)).rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def retry_later(
    s: AsyncSession, row_id: int, *, owner: str, at: datetime, error: str
) -> bool:
    """Give a claimed row back, to be claimed again from `at` on."""
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.lease_owner == owner)
        .where(OutboxMessage.status == "pending")
        .values(lease_until=at, last_error=error[:200])
        .execution_options(synchronize_session=False)
    )
    return (await s.execute(stmt)).rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def expire_overdue(s: AsyncSession, now: datetime) -> int:
    """Expire pending rows past their grace window that nobody holds a live lease on."""
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.expires_at < now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(status="expired", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return (await s.execute(stmt)).rowcount  # type: ignore[attr-defined, no-any-return]


async def mark_dms_closed(s: AsyncSession, member_id: int, now: datetime) -> None:
    """Remember that a member's DMs refuse the bot, and cancel what is queued for them."""
    await s.execute(update(Member).where(Member.id == member_id).values(dm_closed_at=now))
    await s.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.member_id == member_id,
            OutboxMessage.status == "pending",
            OutboxMessage.lease_until.is_(None),
        )
        .values(status="cancelled", last_error="DMs closed")
        .execution_options(synchronize_session=False)
    )


async def mark_dms_open(s: AsyncSession, member_id: int) -> None:
    """Clear the closed-DM mark when the member next uses a command."""
    await s.execute(
        update(Member)
        .where(Member.id == member_id, Member.dm_closed_at.is_not(None))
        .values(dm_closed_at=None)
    )


async def counts(s: AsyncSession) -> dict[str, int]:
    """How many outbox rows are in each status."""
    rows = await s.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}
