"""Add weekly schedules, the outbox of scheduled DMs, and members' closed-DM mark.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create member_schedules and outbox; add members.dm_closed_at."""
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("dm_closed_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "member_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="debrief", nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("next_due_utc", UTC_DATETIME, nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("kind IN ('debrief')", name=op.f("ck_member_schedules_kind")),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_member_schedules_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_schedules_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_schedules")),
        sa.UniqueConstraint(
            "member_id", "kind", name=op.f("uq_member_schedules_member_id_kind")
        ),
    )
    op.create_index(
        op.f("ix_member_schedules_next_due_utc"), "member_schedules", ["next_due_utc"]
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurrence_key", sa.String(length=40), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('debrief', 'nudge', 'checkin')", name=op.f("ck_outbox_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'undeliverable', 'expired', 'cancelled')",
            name=op.f("ck_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_outbox_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "member_id",
            "kind",
            "occurrence_key",
            name=op.f("uq_outbox_member_id_kind_occurrence_key"),
        ),
    )
    op.create_index(op.f("ix_outbox_status_due_at"), "outbox", ["status", "due_at"])


def downgrade() -> None:
    """Drop the scheduling tables and the closed-DM mark."""
    op.drop_index(op.f("ix_outbox_status_due_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_member_schedules_next_due_utc"), table_name="member_schedules")
    op.drop_table("member_schedules")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("dm_closed_at")
