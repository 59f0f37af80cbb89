"""Add guild_configs: each server's mentor role, alerts channel and crisis resources.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create guild_configs."""
    op.create_table(
        "guild_configs",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mentor_role_id", sa.BigInteger(), nullable=False),
        sa.Column("alerts_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("crisis_resources", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_configs")),
    )


def downgrade() -> None:
    """Drop guild_configs."""
    op.drop_table("guild_configs")
