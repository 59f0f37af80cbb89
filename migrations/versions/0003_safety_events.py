"""Add safety events: flagged messages by rule and concern, never their text.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create safety_events."""
    op.create_table(
        "safety_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("concerns", sa.String(length=120), nullable=False),
        sa.Column("rules", sa.String(length=400), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("alerted_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_safety_events_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["coaching_sessions.id"],
            name=op.f("fk_safety_events_session_id_coaching_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_events")),
    )
    op.create_index(op.f("ix_safety_events_member_id"), "safety_events", ["member_id"])


def downgrade() -> None:
    """Drop safety_events."""
    op.drop_index(op.f("ix_safety_events_member_id"), table_name="safety_events")
    op.drop_table("safety_events")
