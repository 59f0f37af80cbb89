"""Declarative base, naming convention and the UTC-aware datetime column type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names let Alembic (and SQLite batch mode) find and drop constraints
# by name; without a convention SQLite leaves them anonymous.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Dialects whose timestamp-with-time-zone column keeps the offset; all others get naive UTC.
_TZ_NATIVE_DIALECTS = frozenset({"postgresql"})


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store datetimes as UTC and always hand back aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC; refuse naive ones."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            # A naive value is ambiguous (local? UTC?); guessing silently corrupts schedules.
            raise ValueError(f"naive datetime {value.isoformat()} refused; attach a timezone")
        value = value.astimezone(UTC)
        if dialect.name in _TZ_NATIVE_DIALECTS:
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to stored values so callers never see a naive datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            # Raw SQL or an older driver may hand back the stored text.
            value = datetime.fromisoformat(str(value))
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        """Report the Python type the column holds."""
        return datetime


class Base(DeclarativeBase):
    """Base class of every mapped table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # A bare Mapped[datetime] must never fall back to the naive DateTime type.
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012
