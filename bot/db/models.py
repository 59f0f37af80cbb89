"""Tables: members, coaching sessions and their turns, goals, commitments, stress scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UTCDateTime, utcnow

SESSION_STATUSES = ("active", "paused", "done", "ended")
OPEN_SESSION_STATUSES = ("active", "paused")
CLOSED_SESSION_STATUSES = ("done", "ended")
TURN_ROLES = ("member", "coach")
GOAL_STATUSES = ("active", "achieved", "dropped")
COMMITMENT_STATUSES = ("open", "done", "partly", "dropped")

# Console and direct-message conversations have no guild; 0 keeps the unique key usable.
NO_GUILD = 0


def _in(column: str, values: tuple[str, ...]) -> str:
    """Render a CHECK expression limiting a column to fixed values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Member(Base):
    """A person in one guild (or in direct messages), with their privacy choices."""

    __tablename__ = "members"
    # AUTOINCREMENT stops SQLite reusing the id of a deleted row; ids end up in custom_ids.
    __table_args__ = (UniqueConstraint("guild_id", "user_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    share_progress: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    share_transcripts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when Discord refuses a DM (50007); cleared when the member next uses a command.
    dm_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CoachingSession(Base):
    """One conversation run by a framework, with the engine's serialized state."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (
        CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        # Leading member_id also serves plain member lookups and the foreign key.
        Index(None, "member_id", "status"),
        # Button custom_ids carry the session id: a deleted id must never come back.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    framework_id: Mapped[str] = mapped_column(String(40))
    framework_version: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str | None] = mapped_column(String(200))
    stage_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Loading must be explicit (selectinload) so no lazy load hits the async path.
    member: Mapped[Member] = relationship(lazy="raise")


class Turn(Base):
    """One message of a coaching conversation, from the member or the coach."""

    __tablename__ = "turns"
    __table_args__ = (CheckConstraint(_in("role", TURN_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    stage_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Goal(Base):
    """Something a member wants to reach, possibly set during a session."""

    __tablename__ = "goals"
    __table_args__ = (CheckConstraint(_in("status", GOAL_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Commitment(Base):
    """A concrete next step a member chose, followed up later."""

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint(_in("status", COMMITMENT_STATUSES), name="status"),
        Index(None, "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    outcome_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StressScore(Base):
    """A member's self-rated stress (0-10) for one ISO week."""

    __tablename__ = "stress_scores"
    __table_args__ = (
        UniqueConstraint("member_id", "iso_year", "iso_week"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL")
    )
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BotState(Base):
    """Small values the bot keeps between runs, such as the synced command-tree hash."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


SCHEDULE_KINDS = ("debrief",)
OUTBOX_KINDS = ("debrief", "nudge", "checkin", "oh_reminder", "oh_followup", "oh_closed")
OUTBOX_STATUSES = ("pending", "sent", "undeliverable", "expired", "cancelled")


class MemberSchedule(Base):
    """A member's weekly rule: weekday and wall-clock time in their own zone."""

    __tablename__ = "member_schedules"
    __table_args__ = (
        UniqueConstraint("member_id", "kind"),
        CheckConstraint(_in("kind", SCHEDULE_KINDS), name="kind"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        Index(None, "next_due_utc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="debrief", server_default="debrief")
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int] = mapped_column(Integer)
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" on the member's wall clock
    next_due_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """One scheduled DM occurrence; the unique key makes each occurrence exist once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "occurrence_key"),
        CheckConstraint(_in("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index(None, "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    occurrence_key: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SafetyEvent(Base):
    """A member message the safety screen flagged: what was matched, never what was said."""

    __tablename__ = "safety_events"
    __table_args__ = (Index(None, "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL")
    )
    concerns: Mapped[str] = mapped_column(String(120))
    rules: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GuildConfig(Base):
    """A server's set-up: who its mentors are, where alerts go, its crisis resources."""

    __tablename__ = "guild_configs"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mentor_role_id: Mapped[int] = mapped_column(BigInteger)
    alerts_channel_id: Mapped[int] = mapped_column(BigInteger)
    crisis_resources: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# --- office hours ----------------------------------------------------------------------------
OFFICE_HOURS_STATUSES = ("open", "closed")
# waiting -> called (with a mentor) -> done; or waiting -> left, or waiting -> missed at closing.
OFFICE_HOURS_ENTRY_STATUSES = ("waiting", "called", "done", "left", "missed")
OFFICE_HOURS_QUEUED = ("waiting", "called")
QUEUED_PREDICATE = _in("status", OFFICE_HOURS_QUEUED)


class OfficeHoursSchedule(Base):
    """Weekly office hours in a channel: the card opens by itself at a time on a mentor's clock."""

    __tablename__ = "office_hours_schedules"
    __table_args__ = (
        # Named by hand: the conventional name is longer than PostgreSQL's 63 characters.
        UniqueConstraint(
            "guild_id", "channel_id", "weekday", "local_time", name="uq_office_hours_schedules_slot"
        ),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index(None, "next_open_utc"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    voice_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int] = mapped_column(Integer)
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" on the mentor's wall clock
    duration_minutes: Mapped[int] = mapped_column(Integer)
    next_open_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    # The occurrence whose reminders are queued already, so each is queued once.
    reminded_key: Mapped[str | None] = mapped_column(String(40))
    created_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OfficeHours(Base):
    """One sitting of office hours: its card in a channel, open until it closes."""

    __tablename__ = "office_hours"
    __table_args__ = (
        CheckConstraint(_in("status", OFFICE_HOURS_STATUSES), name="status"),
        # A scheduled sitting opens once per occurrence, however many ticks see it due.
        UniqueConstraint("schedule_id", "occurrence_key"),
        Index(None, "guild_id", "status"),
        Index(None, "status", "closes_at"),
        # Button custom_ids carry the id: a deleted id must never come back.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    voice_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str | None] = mapped_column(String(200))
    opened_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("office_hours_schedules.id", ondelete="SET NULL")
    )
    occurrence_key: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    # The status the card shows; a tick brings the card in line when they differ.
    card_status: Mapped[str | None] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OfficeHoursEntry(Base):
    """A member's place in an office-hours queue, with what they wrote to prepare."""

    __tablename__ = "office_hours_entries"
    __table_args__ = (
        CheckConstraint(_in("status", OFFICE_HOURS_ENTRY_STATUSES), name="status"),
        # A member is in a queue once while waiting or being seen; they may join again later.
        Index(
            None,
            "office_hours_id",
            "member_id",
            unique=True,
            sqlite_where=text(QUEUED_PREDICATE),
            postgresql_where=text(QUEUED_PREDICATE),
        ),
        Index(None, "office_hours_id", "status"),
        Index(None, "member_id"),
        Index(None, "mentor_member_id"),
        {"sqlite_autoincrement": True},
    )

    # The queue is in id order: ids are handed out in the order members joined.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_hours_id: Mapped[int] = mapped_column(ForeignKey("office_hours.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    mentor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(8), default="waiting", server_default="waiting")
    goal: Mapped[str] = mapped_column(Text)
    tried: Mapped[str | None] = mapped_column(Text)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OfficeHoursReminder(Base):
    """A member who asked for a DM an hour before their server's scheduled office hours."""

    __tablename__ = "office_hours_reminders"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
