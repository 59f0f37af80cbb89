"""Each server's set-up (mentor role, alerts channel, crisis resources) and who may use it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.base import utcnow
from bot.db.models import GuildConfig, Member
from bot.db.uow import unit_of_work
from bot.domain.safety import CRISIS_DEFAULT_RESOURCES
from bot.errors import UserFacingError

# Discord caps a slash-command string option at 6000; a message holds 2000 with our framing.
MAX_RESOURCES_LENGTH = 1000


@dataclass(frozen=True)
class GuildSetup:
    """A server's stored set-up."""

    guild_id: int
    mentor_role_id: int
    alerts_channel_id: int
    crisis_resources: str | None

    @property
    def resources(self) -> str:
        """The crisis resources members of this server are given."""
        return self.crisis_resources or CRISIS_DEFAULT_RESOURCES


class NotSetUp(UserFacingError):
    """A mentor feature was used in a server whose administrators have not run /setup."""

    def __init__(self) -> None:
        super().__init__(
            "This server isn't set up for mentors yet. An administrator can run "
            "`/setup mentor-role:<role> alerts-channel:<channel>` to choose the mentor role "
            "and the channel for alerts."
        )


class NotInServer(UserFacingError):
    """A mentor command was used in a DM, where no server's data may be reached."""

    def __init__(self) -> None:
        super().__init__(
            "Mentor commands work inside your server, not in direct messages. Run it in a "
            "channel of the server you mentor."
        )


class NotAMentor(UserFacingError):
    """Someone without the mentor role used a mentor command."""

    def __init__(self, role_id: int) -> None:
        super().__init__(
            f"This command is for mentors: it needs the <@&{role_id}> role. If you mentor "
            "here, ask an administrator to give you that role."
        )


def _view(row: GuildConfig) -> GuildSetup:
    return GuildSetup(
        guild_id=row.guild_id,
        mentor_role_id=row.mentor_role_id,
        alerts_channel_id=row.alerts_channel_id,
        crisis_resources=row.crisis_resources,
    )


class GuildService:
    """Read and store server set-ups; decide who counts as a mentor."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sm = sessionmaker

    async def get(self, guild_id: int) -> GuildSetup | None:
        """The server's set-up, or None before /setup."""
        async with self._sm() as s:
            row = await s.get(GuildConfig, guild_id)
            return None if row is None else _view(row)

    async def configure(
        self,
        guild_id: int,
        *,
        mentor_role_id: int,
        alerts_channel_id: int,
        crisis_resources: str | None,
    ) -> GuildSetup:
        """Store a server's set-up; blank crisis resources fall back to the default."""
        resources = (crisis_resources or "").strip() or None
        if resources is not None and len(resources) > MAX_RESOURCES_LENGTH:
            raise UserFacingError(
                f"Crisis resources can be at most {MAX_RESOURCES_LENGTH} characters "
                f"(yours has {len(resources)}). Shorten it and run /setup again."
            )
        now = utcnow()
        values = {
            "mentor_role_id": mentor_role_id,
            "alerts_channel_id": alerts_channel_id,
            "crisis_resources": resources,
            "updated_at": now,
        }
        async with unit_of_work(self._sm) as s:
            stmt = (
                repo.upsert_insert(s, GuildConfig)
                .values(guild_id=guild_id, created_at=now, **values)
                .on_conflict_do_update(index_elements=["guild_id"], set_=values)
            )
            await s.execute(stmt)
        return GuildSetup(guild_id, mentor_role_id, alerts_channel_id, resources)

    async def require_mentor(self, guild_id: int | None, role_ids: Iterable[int]) -> GuildSetup:
        """The server's set-up when the caller holds its mentor role; else a clear refusal."""
        if guild_id is None:
            raise NotInServer
        setup = await self.get(guild_id)
        if setup is None:
            raise NotSetUp
        if setup.mentor_role_id not in set(role_ids):
            raise NotAMentor(setup.mentor_role_id)
        return setup

    async def setups_for_user(self, user_id: int) -> list[GuildSetup]:
        """Set-ups of every server where this user has a member record (for DM-only events)."""
        async with self._sm() as s:
            rows = await s.scalars(
                select(GuildConfig)
                .join(Member, Member.guild_id == GuildConfig.guild_id)
                .where(Member.user_id == user_id)
                .order_by(GuildConfig.guild_id)
            )
            return [_view(row) for row in rows]
