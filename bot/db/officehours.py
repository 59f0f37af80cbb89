"""Office-hours queries: places in a queue, the atomic claim, ending turns and sittings.

Each takes the caller's session and never commits. The queue runs in entry id order: ids are
handed out in the order members join.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import outbox
from bot.db.models import (
    OFFICE_HOURS_QUEUED,
    QUEUED_PREDICATE,
    Member,
    OfficeHours,
    OfficeHoursEntry,
)
from bot.db.repositories import upsert_insert
from bot.domain import officehours as oh

E = OfficeHoursEntry
FOLLOWUP_GRACE = timedelta(hours=12)  # a follow-up DM later than this is not sent
CLOSED_GRACE = timedelta(hours=2)
AVERAGE_OVER = 20  # a mentor's latest sessions set the estimated wait
CLAIM_TRIES = 5


def _waiting(sitting_id: int) -> tuple[ColumnElement[bool], ...]:
    return (E.office_hours_id == sitting_id, E.status == "waiting")


def waiting_count(sitting_id: int) -> Select[Any]:
    """Count the people waiting in a sitting's queue."""
    return select(func.count()).where(*_waiting(sitting_id))


async def counts(s: AsyncSession, sitting_id: int) -> dict[str, int]:
    """How many entries of a sitting are in each status."""
    found = await s.execute(
        select(E.status, func.count()).where(E.office_hours_id == sitting_id).group_by(E.status)
    )
    return {status: int(n) for status, n in found.all()}


async def open_sittings(s: AsyncSession, guild_id: int) -> list[OfficeHours]:
    """A server's open sittings, oldest first."""
    found = await s.execute(
        select(OfficeHours)
        .where(OfficeHours.guild_id == guild_id, OfficeHours.status == "open")
        .order_by(OfficeHours.id)
    )
    return list(found.scalars())


async def queued(s: AsyncSession, sitting_id: int, member_id: int) -> OfficeHoursEntry | None:
    """A member's entry in a queue while they wait or are being seen."""
    found = await s.execute(
        select(E).where(
            E.office_hours_id == sitting_id,
            E.member_id == member_id,
            E.status.in_(OFFICE_HOURS_QUEUED),
        )
    )
    return found.scalar_one_or_none()


async def place_of(s: AsyncSession, sitting_id: int, entry_id: int) -> tuple[int, int]:
    """A waiting entry's place (1 for the first in line) and how many wait in all."""
    ahead = func.coalesce(func.sum(case((E.id < entry_id, 1), else_=0)), 0)
    found = (await s.execute(select(ahead, func.count()).where(*_waiting(sitting_id)))).one()
    return int(found[0]) + 1, int(found[1])


async def add_entry(
    s: AsyncSession, sitting_id: int, member_id: int, goal: str, tried: str | None, at: datetime
) -> int | None:
    """Put a member at the end of the queue; None when they are in it already."""
    stmt = (
        upsert_insert(s, E)
        .values(
            office_hours_id=sitting_id,
            member_id=member_id,
            status="waiting",
            goal=goal,
            tried=tried,
            joined_at=at,
        )
        .on_conflict_do_nothing(
            index_elements=["office_hours_id", "member_id"],
            # A literal predicate: PostgreSQL cannot match a partial index to bound parameters.
            index_where=text(QUEUED_PREDICATE),
        )
        .returning(E.id)
    )
    found: int | None = (await s.execute(stmt)).scalar_one_or_none()
    return found


async def session_length(s: AsyncSession, sitting: OfficeHours) -> timedelta | None:
    """The average of the latest sessions of the mentor who opened, else of the server."""
    base = (
        select(E.called_at, E.finished_at)
        .where(E.status == "done", E.called_at.is_not(None), E.finished_at.is_not(None))
        .order_by(E.id.desc())
        .limit(AVERAGE_OVER)
    )
    scopes = []
    if sitting.opened_by_member_id is not None:
        scopes.append(base.where(E.mentor_member_id == sitting.opened_by_member_id))
    scopes.append(
        base.join(OfficeHours, OfficeHours.id == E.office_hours_id).where(
            OfficeHours.guild_id == sitting.guild_id
        )
    )
    for query in scopes:
        found = (await s.execute(query)).all()
        if found:
            return oh.average(end - start for start, end in found if start and end)
    return None


async def estimate(s: AsyncSession, sitting: OfficeHours, ahead: int) -> timedelta:
    """The estimated wait for someone with `ahead` people before them."""
    mentors = await s.scalar(
        select(func.count(distinct(E.mentor_member_id))).where(
            E.office_hours_id == sitting.id, E.status == "called"
        )
    )
    return oh.estimate_wait(ahead, await session_length(s, sitting), int(mentors or 0))


async def claim_next(
    s: AsyncSession, sitting_id: int, mentor_id: int, now: datetime
) -> OfficeHoursEntry | None:
    """Mark the first waiting entry called by this mentor, atomically; None when nobody waits.

    The UPDATE re-checks the status, so of two mentors racing for one entry only one gets it;
    on PostgreSQL the choice skips a row another transaction holds and takes the next one.
    """
    for _ in range(CLAIM_TRIES):
        first = (
            select(E.id)
            .where(E.office_hours_id == sitting_id, E.status == "waiting")
            .order_by(E.id)
            .limit(1)
        )
        if s.get_bind().dialect.name == "postgresql":
            first = first.with_for_update(skip_locked=True)
        stmt = (
            update(E)
            .where(E.id == first.scalar_subquery(), E.status == "waiting")
            .values(status="called", mentor_member_id=mentor_id, called_at=now)
            .returning(E)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        claimed: OfficeHoursEntry | None = (await s.execute(stmt)).scalar_one_or_none()
        if claimed is not None:
            return claimed
        if not await s.scalar(waiting_count(sitting_id)):
            return None
    return None


async def finish_turns(s: AsyncSession, which: ColumnElement[bool], now: datetime) -> list[str]:
    """End the turns in progress that match `which`; queue each member's follow-up DM.

    Returns the names of the members whose turn ended.
    """
    found = await s.execute(
        update(E)
        .where(which, E.status == "called")
        .values(status="done", finished_at=now)
        .returning(E.id, E.member_id)
        .execution_options(synchronize_session=False)
    )
    names = []
    for entry_id, member_id in found.all():
        await outbox.enqueue(
            s,
            member_id=member_id,
            kind="oh_followup",
            key=f"e{entry_id}",
            due_at=now,
            expires_at=now + FOLLOWUP_GRACE,
            payload={"entry_id": entry_id},
        )
        member = await s.get(Member, member_id)
        names.append(member.display_name if member else "")
    return names


async def close_sitting(s: AsyncSession, sitting: OfficeHours, now: datetime) -> tuple[int, int]:
    """Close a sitting: turns in progress end, people waiting are told by DM.

    Returns how many turns ended and how many people were still waiting.
    """
    finished = await finish_turns(s, E.office_hours_id == sitting.id, now)
    missed = await s.execute(
        update(E)
        .where(E.office_hours_id == sitting.id, E.status == "waiting")
        .values(status="missed", finished_at=now)
        .returning(E.id, E.member_id)
        .execution_options(synchronize_session=False)
    )
    missed_rows = missed.all()
    for entry_id, member_id in missed_rows:
        await outbox.enqueue(
            s,
            member_id=member_id,
            kind="oh_closed",
            key=f"e{entry_id}",
            due_at=now,
            expires_at=now + CLOSED_GRACE,
            payload={"entry_id": entry_id},
        )
    sitting.status, sitting.closed_at = "closed", now
    await s.flush()
    return len(finished), len(missed_rows)
