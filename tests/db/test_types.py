"""UTCDateTime keeps every stored instant aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from bot.db import repositories as repo
from bot.db.base import UTCDateTime, utcnow
from bot.db.models import Member, Turn
from bot.db.uow import UnitOfWork

TOKYO = ZoneInfo("Asia/Tokyo")
SQLITE = sqlite.dialect()
POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_bind_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2025, 3, 1, 12, 0), SQLITE)  # noqa: DTZ001


def test_bind_refuses_non_datetimes() -> None:
    with pytest.raises(TypeError):
        UTCDateTime().process_bind_param("2025-03-01", SQLITE)  # type: ignore[arg-type]


def test_bind_converts_to_utc_per_dialect() -> None:
    local = datetime(2025, 3, 1, 21, 30, tzinfo=TOKYO)
    stored = UTCDateTime().process_bind_param(local, SQLITE)
    assert stored == datetime(2025, 3, 1, 12, 30)  # noqa: DTZ001  (SQLite keeps naive UTC)
    assert stored is not None
    assert stored.tzinfo is None
    on_postgres = UTCDateTime().process_bind_param(local, POSTGRES)
    assert on_postgres is not None
    assert on_postgres.tzinfo is UTC
    assert on_postgres == local


def test_results_come_back_aware() -> None:
    naive = datetime(2025, 3, 1, 12, 30)  # noqa: DTZ001  (as SQLite returns it)
    assert UTCDateTime().process_result_value(naive, SQLITE) == naive.replace(tzinfo=UTC)
    offset = datetime(2025, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=1)))
    back = UTCDateTime().process_result_value(offset, POSTGRES)
    assert back is not None
    assert back.tzinfo is UTC
    assert back == offset
    text_value = UTCDateTime().process_result_value("2025-03-01 12:30:00", SQLITE)
    assert text_value == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    assert UTCDateTime().process_result_value(None, SQLITE) is None


async def test_round_trip_is_aware_utc(uow: UnitOfWork, member: Member) -> None:
    # 02:30 happens twice in Berlin that night; fold=0 is the first, summer-time one.
    local = datetime(2025, 10, 26, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    async with uow() as s:
        cs = await repo.create_session(
            s,
            member_id=member.id,
            framework_id="grow",
            framework_version=1,
            topic=None,
            stage_id="goal",
            state={},
        )
        cs.started_at = local
    async with uow() as s:
        found = await repo.get_session(s, cs.id)
        assert found is not None
        assert found.started_at.tzinfo is UTC
        # Python never calls a fold-ambiguous time equal across zones, so compare in UTC.
        assert (
            found.started_at == local.astimezone(UTC) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
        )
        assert found.updated_at.tzinfo is UTC
        stored = (
            await s.execute(
                text("SELECT started_at FROM coaching_sessions WHERE id = :id"), {"id": cs.id}
            )
        ).scalar_one()
        if isinstance(stored, datetime):
            # PostgreSQL's timestamptz holds the instant itself.
            assert stored == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
        else:
            # SQLite's column holds UTC wall-clock text, so text order matches time order.
            assert stored.startswith("2025-10-26 00:30:00")


async def test_flushing_a_naive_datetime_fails(uow: UnitOfWork, member: Member) -> None:
    async def write_naive_turn() -> None:
        async with uow() as s:
            cs = await repo.create_session(
                s,
                member_id=member.id,
                framework_id="grow",
                framework_version=1,
                topic=None,
                stage_id="goal",
                state={},
            )
            naive = datetime(2025, 1, 1)  # noqa: DTZ001
            s.add(Turn(session_id=cs.id, role="coach", kind="notice", text="hi", created_at=naive))
            await s.flush()

    with pytest.raises(StatementError) as caught:
        await write_naive_turn()
    assert isinstance(caught.value.orig, ValueError)
    async with uow() as s:
        # The unit of work rolled back the session created alongside.
        assert await repo.sessions_for_member(s, member.id) == []
