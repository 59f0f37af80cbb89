"""Fixtures for the storage tests: committed members and sessions to build on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.base import Base
from bot.db.models import CoachingSession, Member
from bot.db.uow import UnitOfWork

MakeMember = Callable[..., Awaitable[Member]]
MakeSession = Callable[..., Awaitable[CoachingSession]]


@pytest.fixture
def make_member(uow: UnitOfWork) -> MakeMember:
    """Return a factory that commits a member and returns it."""

    async def make(guild_id: int = 111, user_id: int = 222, name: str = "Ada") -> Member:
        async with uow() as s:
            return await repo.get_or_create_member(
                s, guild_id=guild_id, user_id=user_id, display_name=name
            )

    return make


@pytest.fixture
async def member(make_member: MakeMember) -> Member:
    """Return one committed member."""
    return await make_member()


@pytest.fixture
def make_session(uow: UnitOfWork) -> MakeSession:
    """Return a factory that commits a coaching session for a member."""

    async def make(member_id: int, framework_id: str = "grow", **extra: Any) -> CoachingSession:
        fields: dict[str, Any] = {
            "framework_version": 1,
            "topic": "first-time manager",
            "stage_id": "goal",
            "state": {"stage": "goal"},
        } | extra
        async with uow() as s:
            return await repo.create_session(
                s, member_id=member_id, framework_id=framework_id, **fields
            )

    return make


@pytest.fixture
def count_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[type[Base]], Awaitable[int]]:
    """Return a helper counting the rows of a mapped table in a fresh session."""

    async def count(model: type[Base]) -> int:
        async with sessionmaker() as s:
            return (await s.execute(select(func.count()).select_from(model))).scalar_one()

    return count
