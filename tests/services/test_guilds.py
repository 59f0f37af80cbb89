"""Server set-up: stored once per guild, updated in place, and the mentor check."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.uow import unit_of_work
from bot.domain.safety import CRISIS_DEFAULT_RESOURCES
from bot.errors import UserFacingError
from bot.services.guilds import GuildService, NotAMentor, NotInServer, NotSetUp


async def test_configure_then_update_in_place(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    guilds = GuildService(sessionmaker)
    assert await guilds.get(10) is None
    first = await guilds.configure(10, mentor_role_id=1, alerts_channel_id=2, crisis_resources="  ")
    assert first.crisis_resources is None
    assert first.resources == CRISIS_DEFAULT_RESOURCES
    await guilds.configure(10, mentor_role_id=3, alerts_channel_id=4, crisis_resources="Call 111")
    stored = await guilds.get(10)
    assert stored is not None
    assert (stored.mentor_role_id, stored.alerts_channel_id, stored.resources) == (3, 4, "Call 111")


async def test_overlong_resources_are_refused_and_nothing_stored(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    guilds = GuildService(sessionmaker)
    with pytest.raises(UserFacingError, match="at most 1000"):
        await guilds.configure(
            10, mentor_role_id=1, alerts_channel_id=2, crisis_resources="x" * 1001
        )
    assert await guilds.get(10) is None


async def test_require_mentor_refuses_dm_unset_and_roleless(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    guilds = GuildService(sessionmaker)
    with pytest.raises(NotInServer):
        await guilds.require_mentor(None, [1])
    with pytest.raises(NotSetUp, match="/setup"):
        await guilds.require_mentor(10, [1])
    await guilds.configure(10, mentor_role_id=1, alerts_channel_id=2, crisis_resources=None)
    with pytest.raises(NotAMentor, match="<@&1>"):
        await guilds.require_mentor(10, [5, 6])
    assert (await guilds.require_mentor(10, [5, 1])).alerts_channel_id == 2


async def test_setups_for_user_lists_only_their_configured_servers(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    guilds = GuildService(sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        for guild_id in (10, 20, 30):
            await repo.get_or_create_member(s, guild_id=guild_id, user_id=99, display_name="a")
        await repo.get_or_create_member(s, guild_id=40, user_id=98, display_name="b")
    for guild_id in (20, 30, 40):
        await guilds.configure(
            guild_id, mentor_role_id=1, alerts_channel_id=guild_id, crisis_resources=None
        )
    assert [g.guild_id for g in await guilds.setups_for_user(99)] == [20, 30]
