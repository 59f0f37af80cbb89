"""Small async query functions; each takes the caller's session and never commits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from bot.db.base import utcnow
from bot.db.models import (
    CLOSED_SESSION_STATUSES,
    OPEN_SESSION_STATUSES,
    SESSION_STATUSES,
    BotState,
    CoachingSession,
    Commitment,
    Goal,
    Member,
    SafetyEvent,
    StressScore,
    Turn,
)


def upsert_insert(s: AsyncSession, model: type[Any]) -> Any:
    """Return the dialect's INSERT that supports ON CONFLICT."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(model)
    if dialect == "postgresql":
        return postgresql.insert(model)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


async def get_or_create_member(
    s: AsyncSession, *, guild_id: int, user_id: int, display_name: str
) -> Member:
    """Return the member for (guild, user), creating it; keep the display name current."""
    member = await find_member(s, guild_id=guild_id, user_id=user_id)
    if member is None:
        # A concurrent interaction may insert the same member; let the database pick one.
        now = utcnow()
        stmt: Insert = (
            upsert_insert(s, Member)
            .values(
                guild_id=guild_id,
                user_id=user_id,
                display_name=display_name,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["guild_id", "user_id"])
        )
        await s.execute(stmt)
        member = await find_member(s, guild_id=guild_id, user_id=user_id)
        if member is None:  # pragma: no cover - the row exists after the insert
            raise LookupError(f"member {guild_id}/{user_id} vanished after insert")
    if member.display_name != display_name:
        member.display_name = display_name
        await s.flush()
    return member


async def get_member(s: AsyncSession, member_id: int) -> Member | None:
    """Return a member by id."""
    return await s.get(Member, member_id)


async def lock_conversation(
    s: AsyncSession, cs: CoachingSession
) -> tuple[CoachingSession, Member] | None:
    """Lock a conversation's member, then the conversation, and read both afresh.

    On PostgreSQL another process may take a turn in the same conversation (a button on one
    shard, a DM on another) or erase the member; an erasure locks members before
    conversations, so this takes them in that order. None: the member was erased meanwhile.
    SQLite has no row locks; its write gate already runs one unit of work at a time.
    """
    if s.get_bind().dialect.name == "sqlite":
        member = await s.get(Member, cs.member_id)
        return None if member is None else (cs, member)
    lock = {"key_share": True}  # FOR NO KEY UPDATE: inserts that point at the row still pass
    member = await s.get(Member, cs.member_id, with_for_update=lock, populate_existing=True)
    if member is None:
        return None
    fresh = await s.get(CoachingSession, cs.id, with_for_update=lock, populate_existing=True)
    return None if fresh is None else (fresh, member)


async def find_member(s: AsyncSession, *, guild_id: int, user_id: int) -> Member | None:
    """Return the member for (guild, user) without creating one."""
    stmt = select(Member).where(Member.guild_id == guild_id, Member.user_id == user_id)
    return (await s.execute(stmt)).scalar_one_or_none()


async def delete_member(s: AsyncSession, member_id: int) -> bool:
    """Delete a member and, by database cascade, all their rows; tell whether one existed.

    Objects of that member loaded earlier in the same session are stale afterwards.
    """
    result = await s.execute(delete(Member).where(Member.id == member_id).returning(Member.id))
    return result.scalar_one_or_none() is not None


async def create_session(
    s: AsyncSession,
    *,
    member_id: int,
    framework_id: str,
    framework_version: int,
    topic: str | None,
    stage_id: str,
    state: dict[str, Any],
    channel_id: int | None = None,
) -> CoachingSession:
    """Start an active coaching session and return it with its id assigned."""
    now = utcnow()
    cs = CoachingSession(
        member_id=member_id,
        framework_id=framework_id,
        framework_version=framework_version,
        topic=topic,
        stage_id=stage_id,
        status="active",
        state=state,
        channel_id=channel_id,
        started_at=now,
        updated_at=now,
    )
    s.add(cs)
    await s.flush()
    return cs


async def get_session(s: AsyncSession, session_id: int) -> CoachingSession | None:
    """Return a coaching session by id."""
    return await s.get(CoachingSession, session_id)


def _open_sessions_query(member_id: int) -> Any:
    """Select a member's active or paused sessions, most recently updated first."""
    return (
        select(CoachingSession)
        .where(
            CoachingSession.member_id == member_id,
            CoachingSession.status.in_(OPEN_SESSION_STATUSES),
        )
        .order_by(CoachingSession.updated_at.desc(), CoachingSession.id.desc())
    )


async def open_sessions(s: AsyncSession, member_id: int) -> list[CoachingSession]:
    """List a member's active or paused sessions, most recently updated first."""
    return list((await s.execute(_open_sessions_query(member_id))).scalars())


async def latest_open_session(
    s: AsyncSession, member_id: int, framework_id: str | None = None
) -> CoachingSession | None:
    """Return the most recently updated open session, optionally of one framework."""
    stmt = _open_sessions_query(member_id)
    if framework_id is not None:
        stmt = stmt.where(CoachingSession.framework_id == framework_id)
    return (await s.execute(stmt.limit(1))).scalar_one_or_none()


async def save_session(
    s: AsyncSession, cs: CoachingSession, *, state: dict[str, Any], stage_id: str, status: str
) -> None:
    """Store the engine's new state; a done or ended session gets its end time."""
    if status not in SESSION_STATUSES:
        raise ValueError(f"unknown session status {status!r}")
    if cs not in s:
        # A session object from an earlier unit of work would otherwise be saved nowhere.
        s.add(cs)
    now = utcnow()
    cs.state = state
    # The engine may hand back the very dict it was given, mutated; force the UPDATE.
    flag_modified(cs, "state")
    cs.stage_id = stage_id
    cs.status = status
    cs.updated_at = now
    if status in CLOSED_SESSION_STATUSES:
        cs.ended_at = cs.ended_at or now
    else:
        cs.ended_at = None
    await s.flush()


async def sessions_for_member(s: AsyncSession, member_id: int) -> list[CoachingSession]:
    """List all of a member's sessions, newest start first."""
    stmt = (
        select(CoachingSession)
        .where(CoachingSession.member_id == member_id)
        .order_by(CoachingSession.started_at.desc(), CoachingSession.id.desc())
    )
    return list((await s.execute(stmt)).scalars())


async def add_turn(
    s: AsyncSession, *, session_id: int, role: str, kind: str, text: str, stage_id: str | None
) -> Turn:
    """Append a member or coach message to a session's transcript."""
    turn = Turn(session_id=session_id, role=role, kind=kind, text=text, stage_id=stage_id)
    s.add(turn)
    await s.flush()
    return turn


async def add_turns(
    s: AsyncSession, session_id: int, turns: list[tuple[str, str, str, str | None]]
) -> None:
    """Append several (role, kind, text, stage_id) messages in one statement."""
    if turns:
        rows = [
            {"session_id": session_id, "role": r, "kind": k, "text": t, "stage_id": st}
            for r, k, t, st in turns
        ]
        await s.execute(insert(Turn), rows)


async def session_turns(s: AsyncSession, session_id: int) -> list[Turn]:
    """List a session's turns in the order they were added."""
    stmt = select(Turn).where(Turn.session_id == session_id).order_by(Turn.id)
    return list((await s.execute(stmt)).scalars())


async def add_goal(s: AsyncSession, *, member_id: int, session_id: int | None, text: str) -> Goal:
    """Record a new active goal."""
    goal = Goal(member_id=member_id, session_id=session_id, text=text, status="active")
    s.add(goal)
    await s.flush()
    return goal


async def add_commitment(
    s: AsyncSession, *, member_id: int, session_id: int | None, text: str, due_date: date | None
) -> Commitment:
    """Record a new open commitment."""
    commitment = Commitment(
        member_id=member_id, session_id=session_id, text=text, due_date=due_date, status="open"
    )
    s.add(commitment)
    await s.flush()
    return commitment


async def list_goals(s: AsyncSession, member_id: int, status: str | None = None) -> list[Goal]:
    """List a member's goals, oldest first, optionally of one status."""
    stmt = select(Goal).where(Goal.member_id == member_id).order_by(Goal.id)
    if status is not None:
        stmt = stmt.where(Goal.status == status)
    return list((await s.execute(stmt)).scalars())


async def list_commitments(
    s: AsyncSession, member_id: int, status: str | None = None
) -> list[Commitment]:
    """List a member's commitments, oldest first, optionally of one status."""
    stmt = select(Commitment).where(Commitment.member_id == member_id).order_by(Commitment.id)
    if status is not None:
        stmt = stmt.where(Commitment.status == status)
    return list((await s.execute(stmt)).scalars())


async def record_stress_score(
    s: AsyncSession, *, member_id: int, session_id: int | None, score: int, at: datetime
) -> StressScore:
    """Store the week's stress score; within one ISO week the latest `at` wins.

    `at` must be aware and expressed in the member's own time zone: the ISO week is taken
    from its wall-clock date, so a Sunday-night debrief in Tokyo counts for that Sunday's
    week even though it is still Sunday morning in UTC. It is stored as UTC.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("record_stress_score needs an aware datetime in the member's zone")
    if not 0 <= score <= 10:
        raise ValueError(f"stress score {score} is outside 0..10")
    iso_year, iso_week, _ = at.isocalendar()
    insert = upsert_insert(s, StressScore)
    stmt = insert.values(
        member_id=member_id,
        session_id=session_id,
        iso_year=iso_year,
        iso_week=iso_week,
        score=score,
        recorded_at=at,
    ).on_conflict_do_update(
        index_elements=["member_id", "iso_year", "iso_week"],
        set_={
            "score": insert.excluded.score,
            "session_id": insert.excluded.session_id,
            "recorded_at": insert.excluded.recorded_at,
        },
        # A delayed or replayed older answer must not overwrite a newer one.
        where=StressScore.recorded_at <= insert.excluded.recorded_at,
    )
    await s.execute(stmt)
    found = select(StressScore).where(
        StressScore.member_id == member_id,
        StressScore.iso_year == iso_year,
        StressScore.iso_week == iso_week,
    )
    # The row may already be in the identity map with the values it had before the upsert.
    result = await s.execute(found.execution_options(populate_existing=True))
    return result.scalar_one()


async def stress_history(s: AsyncSession, member_id: int, limit: int = 52) -> list[StressScore]:
    """Return a member's latest `limit` weekly scores, oldest first."""
    stmt = (
        select(StressScore)
        .where(StressScore.member_id == member_id)
        .order_by(StressScore.iso_year.desc(), StressScore.iso_week.desc())
        .limit(limit)
    )
    rows = list((await s.execute(stmt)).scalars())
    rows.reverse()
    return rows


def _user_sessions_query(user_id: int, statuses: tuple[str, ...]) -> Any:
    """Select one Discord user's sessions in any server, most recently updated first."""
    return (
        select(CoachingSession)
        .join(Member, Member.id == CoachingSession.member_id)
        .where(Member.user_id == user_id, CoachingSession.status.in_(statuses))
        .order_by(CoachingSession.updated_at.desc(), CoachingSession.id.desc())
    )


async def user_sessions(
    s: AsyncSession,
    user_id: int,
    *,
    statuses: tuple[str, ...] = OPEN_SESSION_STATUSES,
    channel_id: int | None = None,
) -> list[CoachingSession]:
    """List a user's sessions across servers, optionally only those held in one channel."""
    stmt = _user_sessions_query(user_id, statuses)
    if channel_id is not None:
        stmt = stmt.where(CoachingSession.channel_id == channel_id)
    return list((await s.execute(stmt)).scalars())


async def set_session_channel(s: AsyncSession, cs: CoachingSession, channel_id: int) -> None:
    """Record where a conversation is held (a DM channel or a private thread)."""
    if cs not in s:
        s.add(cs)
    cs.channel_id = channel_id
    cs.updated_at = utcnow()
    await s.flush()


async def get_state(s: AsyncSession, key: str) -> str | None:
    """Return a stored bot value."""
    row = await s.get(BotState, key)
    return None if row is None else row.value


async def set_state(s: AsyncSession, key: str, value: str) -> None:
    """Store a bot value, replacing any earlier one."""
    row = await s.get(BotState, key)
    if row is None:
        s.add(BotState(key=key, value=value))
    else:
        row.value = value
    await s.flush()


async def record_outcome(s: AsyncSession, commitment_id: int, *, member_id: int, note: str) -> bool:
    """Keep what helped or got in the way with a member's own commitment."""
    commitment = await s.get(Commitment, commitment_id)
    if commitment is None or commitment.member_id != member_id:
        return False
    commitment.outcome_note = note
    await s.flush()
    return True


async def set_commitment_status(
    s: AsyncSession, commitment_id: int, *, member_user_id: int, status: str, now: datetime
) -> Commitment | None:
    """Mark a commitment done, partly done, dropped or still open, if it is this user's."""
    commitment = await s.get(Commitment, commitment_id)
    if commitment is None:
        return None
    owner = await s.get(Member, commitment.member_id)
    if owner is None or owner.user_id != member_user_id:
        return None
    commitment.status = status
    commitment.completed_at = now if status in ("done", "dropped") else None
    await s.flush()
    return commitment


async def add_safety_event(
    s: AsyncSession, *, member_id: int, session_id: int | None, screen: Any
) -> SafetyEvent:
    """Store that a message was flagged: its concerns and rules, never its words."""
    event = SafetyEvent(
        member_id=member_id,
        session_id=session_id,
        concerns=",".join(c.value for c in screen.concerns)[:120],
        rules=",".join(screen.matched)[:400],
    )
    s.add(event)
    await s.flush()
    return event


async def latest_open_commitment_from(
    s: AsyncSession, member_id: int, framework_id: str
) -> Commitment | None:
    """The member's newest open commitment made in a conversation of one framework."""
    stmt = (
        select(Commitment)
        .join(CoachingSession, CoachingSession.id == Commitment.session_id)
        .where(
            Commitment.member_id == member_id,
            Commitment.status == "open",
            CoachingSession.framework_id == framework_id,
        )
        .order_by(Commitment.created_at.desc(), Commitment.id.desc())
        .limit(1)
    )
    return (await s.execute(stmt)).scalar_one_or_none()
