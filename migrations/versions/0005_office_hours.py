"""Add office hours: weekly schedules, sittings, queue entries, reminder sign-ups; new DM kinds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
OLD_KINDS = "kind IN ('debrief', 'nudge', 'checkin')"
NEW_KINDS = "kind IN ('debrief', 'nudge', 'checkin', 'oh_reminder', 'oh_followup', 'oh_closed')"
QUEUED = "status IN ('waiting', 'called')"


def _member_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["members.id"], name=op.f(f"fk_{table}_{column}_members"), ondelete=ondelete
    )


def upgrade() -> None:
    """Create the office-hours tables and allow their outbox kinds."""
    op.create_table(
        "office_hours_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("voice_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("next_open_utc", UTC_DATETIME, nullable=False),
        sa.Column("reminded_key", sa.String(length=40), nullable=True),
        sa.Column("created_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_office_hours_schedules_weekday_range")
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_office_hours_schedules_duration_positive")
        ),
        _member_fk("office_hours_schedules", "created_by_member_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_hours_schedules")),
        sa.UniqueConstraint(
            "guild_id",
            "channel_id",
            "weekday",
            "local_time",
            name=op.f("uq_office_hours_schedules_slot"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_office_hours_schedules_next_open_utc"),
        "office_hours_schedules",
        ["next_open_utc"],
    )

    op.create_table(
        "office_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("voice_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("opened_by_member_id", sa.Integer(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("occurrence_key", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("card_status", sa.String(length=8), nullable=True),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("closes_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_office_hours_status")),
        _member_fk("office_hours", "opened_by_member_id", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["office_hours_schedules.id"],
            name=op.f("fk_office_hours_schedule_id_office_hours_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_hours")),
        sa.UniqueConstraint(
            "schedule_id",
            "occurrence_key",
            name=op.f("uq_office_hours_schedule_id_occurrence_key"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_office_hours_guild_id_status"), "office_hours", ["guild_id", "status"])
    op.create_index(
        op.f("ix_office_hours_status_closes_at"), "office_hours", ["status", "closes_at"]
    )

    op.create_table(
        "office_hours_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_hours_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("mentor_member_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), server_default="waiting", nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("tried", sa.Text(), nullable=True),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("called_at", UTC_DATETIME, nullable=True),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'called', 'done', 'left', 'missed')",
            name=op.f("ck_office_hours_entries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["office_hours_id"],
            ["office_hours.id"],
            name=op.f("fk_office_hours_entries_office_hours_id_office_hours"),
            ondelete="CASCADE",
        ),
        _member_fk("office_hours_entries", "member_id", "CASCADE"),
        _member_fk("office_hours_entries", "mentor_member_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_hours_entries")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_office_hours_entries_office_hours_id_member_id"),
        "office_hours_entries",
        ["office_hours_id", "member_id"],
        unique=True,
        sqlite_where=sa.text(QUEUED),
        postgresql_where=sa.text(QUEUED),
    )
    op.create_index(
        op.f("ix_office_hours_entries_office_hours_id_status"),
        "office_hours_entries",
        ["office_hours_id", "status"],
    )
    op.create_index(
        op.f("ix_office_hours_entries_member_id"), "office_hours_entries", ["member_id"]
    )
    op.create_index(
        op.f("ix_office_hours_entries_mentor_member_id"),
        "office_hours_entries",
        ["mentor_member_id"],
    )

    op.create_table(
        "office_hours_reminders",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _member_fk("office_hours_reminders", "member_id", "CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_office_hours_reminders")),
    )

    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), NEW_KINDS)


def downgrade() -> None:
    """Drop the office-hours tables and their outbox rows; restore the old outbox kinds."""
    op.execute("DELETE FROM outbox WHERE kind IN ('oh_reminder', 'oh_followup', 'oh_closed')")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), OLD_KINDS)
    op.drop_table("office_hours_reminders")
    op.drop_index(
        op.f("ix_office_hours_entries_mentor_member_id"), table_name="office_hours_entries"
    )
    op.drop_index(op.f("ix_office_hours_entries_member_id"), table_name="office_hours_entries")
    op.drop_index(
        op.f("ix_office_hours_entries_office_hours_id_status"), table_name="office_hours_entries"
    )
    op.drop_index(
        op.f("ix_office_hours_entries_office_hours_id_member_id"),
        table_name="office_hours_entries",
    )
    op.drop_table("office_hours_entries")
    op.drop_index(op.f("ix_office_hours_status_closes_at"), table_name="office_hours")
    op.drop_index(op.f("ix_office_hours_guild_id_status"), table_name="office_hours")
    op.drop_table("office_hours")
    op.drop_index(
        op.f("ix_office_hours_schedules_next_open_utc"), table_name="office_hours_schedules"
    )
    op.drop_table("office_hours_schedules")
