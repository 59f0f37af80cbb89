"""Privacy: find everything kept about a Discord user, show it, export it, share it, erase it.

What belongs to a user is discovered from the table metadata, not listed by hand, so tables
added later are covered without edits here:
- a row is *owned* when a non-null user-id column holds the user's id (`members.user_id`), or
  when an owning foreign key (not nullable, or ON DELETE CASCADE) points at an owned row, at any
  depth (turns -> coaching_sessions -> members);
- a row that is not owned but *refers* to the user, through a nullable user-id column or a
  nullable, non-cascading foreign key to an owned row, keeps its place with the reference
  cleared: it holds someone else's data.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    MetaData,
    Table,
    and_,
    delete,
    false,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.base import Base
from bot.db.models import NO_GUILD, Member
from bot.db.uow import unit_of_work
from bot.services.clock import Clock, SystemClock

log = logging.getLogger(__name__)
EXPORT_FORMAT = "mentorbot-member-data"
EXPORT_ABOUT = (
    "Everything this bot keeps about you, in every server and in direct messages. 'tables' "
    "holds your rows, grouped by table, times in UTC (ISO 8601). 'references' lists records "
    "that hold other people's data but point at you; only the pointing column is given."
)


def is_user_column(column: Column[Any]) -> bool:
    """Tell whether a column holds a Discord user id (the schema's naming rule)."""
    return column.name == "user_id" or column.name.endswith("_user_id")


@dataclass(frozen=True)
class Link:
    """A foreign key from a column of a child table to a column of its parent table."""

    fk: ForeignKey

    @property
    def column(self) -> Column[Any]:
        """The child's column."""
        return self.fk.parent

    @property
    def child(self) -> Table:
        """The table holding the foreign key."""
        return self.fk.parent.table

    @property
    def parent(self) -> Table:
        """The table the foreign key points at."""
        return self.fk.column.table

    @property
    def owning(self) -> bool:
        """Whether a child row belongs to its parent row and cannot outlive it."""
        return not self.column.nullable or (self.fk.ondelete or "").upper() == "CASCADE"


@dataclass(frozen=True)
class Reference:
    """A nullable column that may point at a user (or at a row the user owns)."""

    table: Table
    column: Column[Any]
    link: Link | None  # None: a user-id column


class Discovery:
    """Which tables hold a user's rows, and which columns refer to them, from metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.tables: list[Table] = list(metadata.sorted_tables)  # parents before children
        self.links: dict[str, list[Link]] = {
            t.name: [Link(fk) for fk in sorted(t.foreign_keys, key=lambda fk: fk.parent.name)]
            for t in self.tables
        }
        owned: set[str] = set()
        grew = True
        while grew:
            grew = False
            for table in self.tables:
                if table.name not in owned and self._owns(table, owned):
                    owned.add(table.name)
                    grew = True
        self.owned: list[Table] = [t for t in self.tables if t.name in owned]
        self.references: list[Reference] = []
        for table in self.tables:
            for column in table.columns:
                if is_user_column(column) and column.nullable:
                    self.references.append(Reference(table, column, None))
            for link in self.links[table.name]:
                if not link.owning and link.parent.name in owned:
                    self.references.append(Reference(table, link.column, link))

    def _owns(self, table: Table, owned: set[str]) -> bool:
        if any(is_user_column(c) and not c.nullable for c in table.columns):
            return True
        return any(link.owning and link.parent.name in owned for link in self.links[table.name])

    @property
    def covered(self) -> set[str]:
        """Names of every table that can hold or point at a user's data."""
        return {t.name for t in self.owned} | {r.table.name for r in self.references}

    def where(self, user_id: int) -> Conditions:
        """SQL conditions selecting one user's rows."""
        return Conditions(self, user_id)


class Conditions:
    """Owned-row and reference conditions for one user, built once per table."""

    def __init__(self, discovery: Discovery, user_id: int) -> None:
        self._d = discovery
        self._user_id = user_id
        self._owned_names = {t.name for t in discovery.owned}
        self._memo: dict[str, ColumnElement[bool]] = {}
        self._building: set[str] = set()

    def owned(self, table: Table) -> ColumnElement[bool]:
        """Rows of `table` that belong to the user."""
        found = self._memo.get(table.name)
        if found is not None:
            return found
        self._building.add(table.name)
        clauses: list[ColumnElement[bool]] = [
            c == self._user_id for c in table.columns if is_user_column(c) and not c.nullable
        ]
        for link in self._d.links[table.name]:
            parent = link.parent
            # A self-reference would recurse forever; its rows are reached through other links.
            if (
                link.owning
                and parent.name in self._owned_names
                and parent.name not in self._building
            ):
                clauses.append(link.column.in_(select(link.fk.column).where(self.owned(parent))))
        self._building.discard(table.name)
        condition = or_(*clauses) if clauses else false()
        self._memo[table.name] = condition
        return condition

    def refers(self, ref: Reference) -> ColumnElement[bool]:
        """Rows that point at the user through `ref` and are not the user's own."""
        if ref.link is None:
            points = ref.column == self._user_id
        else:
            parent_keys = select(ref.link.fk.column).where(self.owned(ref.link.parent))
            points = ref.column.in_(parent_keys)
        if ref.table.name not in self._owned_names:
            return points
        # COALESCE: a NULL owning column makes the owned test NULL, and NOT NULL drops the row.
        owned = func.coalesce(self.owned(ref.table), false(), type_=Boolean)
        return and_(points, not_(owned))


@dataclass(frozen=True)
class Sharing:
    """What a member lets the mentors of one server see."""

    guild_id: int
    progress: bool
    transcripts: bool


@dataclass(frozen=True)
class Summary:
    """How much is kept about a user, and their sharing choices per server."""

    counts: dict[str, int]
    references: dict[str, int]
    sharing: list[Sharing]

    @property
    def total(self) -> int:
        """Rows kept about the user, references included."""
        return sum(self.counts.values()) + sum(self.references.values())


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: rows deleted and references cleared, per table."""

    deleted: dict[str, int]
    cleared: dict[str, int]

    @property
    def total(self) -> int:
        """Rows deleted or changed."""
        return sum(self.deleted.values()) + sum(self.cleared.values())


def jsonable(value: Any) -> Any:
    """A stored value as JSON can hold it: dates and times in ISO 8601."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _key(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


class MemberData:
    """Count, export and erase one user's rows across every table of a metadata."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        metadata: MetaData = Base.metadata,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._sm = sessionmaker
        self.discovery = Discovery(metadata)
        self._clock = clock or SystemClock()

    async def counts(self, user_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """Owned rows per table and referring rows per table, leaving out zeros."""
        where = self.discovery.where(user_id)
        owned: dict[str, int] = {}
        refs: dict[str, int] = defaultdict(int)
        async with self._sm() as s:
            for table in self.discovery.owned:
                n = await s.scalar(
                    select(func.count()).select_from(table).where(where.owned(table))
                )
                if n:
                    owned[table.name] = int(n)
            for ref in self.discovery.references:
                q = select(func.count()).select_from(ref.table).where(where.refers(ref))
                if n := await s.scalar(q):
                    refs[ref.table.name] += int(n)
        return owned, dict(refs)

    async def export(self, user_id: int) -> dict[str, Any]:
        """Every row kept about the user, grouped by table, read in one session."""
        where = self.discovery.where(user_id)
        tables: dict[str, list[dict[str, Any]]] = {}
        references: dict[str, list[dict[str, Any]]] = defaultdict(list)
        async with self._sm() as s:
            for table in self.discovery.owned:
                rows = await s.execute(
                    select(table).where(where.owned(table)).order_by(*_key(table))
                )
                tables[table.name] = [
                    {k: jsonable(v) for k, v in row.items()} for row in rows.mappings()
                ]
            for ref in self.discovery.references:
                columns = [*_key(ref.table), ref.column]
                q = select(*columns).where(where.refers(ref)).order_by(*_key(ref.table))
                for row in (await s.execute(q)).mappings():
                    references[ref.table.name].append({k: jsonable(v) for k, v in row.items()})
        return {
            "format": EXPORT_FORMAT,
            "version": 1,
            "user_id": user_id,
            "exported_at": self._clock.now().isoformat(),
            "about": EXPORT_ABOUT,
            "tables": tables,
            "references": dict(references),
        }

    async def erase(self, user_id: int) -> Erasure:
        """Delete every owned row and clear every reference, in one unit of work."""
        where = self.discovery.where(user_id)
        parents = {link.parent.name for links in self.discovery.links.values() for link in links}
        deleted: dict[str, int] = {}
        cleared: dict[str, int] = defaultdict(int)
        async with unit_of_work(self._sm) as s:
            for table in self.discovery.owned:
                if table.name in parents:
                    # PostgreSQL: a concurrent insert pointing at these rows waits, then fails,
                    # instead of landing after the delete. SQLite's write gate does this there.
                    await s.execute(
                        select(*_key(table)).where(where.owned(table)).with_for_update()
                    )
            for ref in self.discovery.references:
                stmt = update(ref.table).where(where.refers(ref)).values({ref.column.name: None})
                result: Any = await s.execute(stmt.execution_options(synchronize_session=False))
                if result.rowcount:
                    cleared[ref.table.name] += result.rowcount
            # Children before parents: nothing depends on ON DELETE CASCADE being enforced.
            for table in reversed(self.discovery.owned):
                stmt2 = delete(table).where(where.owned(table))
                result = await s.execute(stmt2.execution_options(synchronize_session=False))
                if result.rowcount:
                    deleted[table.name] = result.rowcount
        erasure = Erasure(deleted, dict(cleared))
        log.info("erased user %s: deleted %s, cleared %s", user_id, deleted, dict(cleared))
        return erasure


class PrivacyService:
    """What a member can see, share, export and erase of their own data."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock | None = None
    ) -> None:
        self._sm = sessionmaker
        self.data = MemberData(sessionmaker, clock=clock)

    async def summary(self, user_id: int) -> Summary:
        """Counts of what is kept about the user and their sharing choices."""
        counts, references = await self.data.counts(user_id)
        async with self._sm() as s:
            rows = await s.scalars(
                select(Member).where(Member.user_id == user_id).order_by(Member.guild_id)
            )
            sharing = [_sharing(m) for m in rows if m.guild_id != NO_GUILD]
        return Summary(counts, references, sharing)

    async def share(
        self,
        user_id: int,
        *,
        guild_id: int | None,
        display_name: str,
        progress: bool | None,
        transcripts: bool | None,
    ) -> list[Sharing]:
        """Set sharing in one server, or in every server where the user has a record (DMs)."""
        values = {
            k: v
            for k, v in (("share_progress", progress), ("share_transcripts", transcripts))
            if v is not None
        }
        async with unit_of_work(self._sm) as s:
            if guild_id is not None:
                # The choice is kept even before the member has used anything else here.
                await repo.get_or_create_member(
                    s, guild_id=guild_id, user_id=user_id, display_name=display_name
                )
            scope = [Member.user_id == user_id, Member.guild_id != NO_GUILD]
            if guild_id is not None:
                scope.append(Member.guild_id == guild_id)
            if values:
                await s.execute(
                    update(Member)
                    .where(*scope)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            rows = await s.execute(
                select(Member)
                .where(*scope)
                .order_by(Member.guild_id)
                .execution_options(populate_existing=True)
            )
            return [_sharing(m) for m in rows.scalars()]

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything kept about the user, ready for json.dumps."""
        return await self.data.export(user_id)

    async def erase(self, user_id: int) -> Erasure:
        """Erase everything kept about the user, in every server and in DMs."""
        return await self.data.erase(user_id)


def _sharing(member: Member) -> Sharing:
    return Sharing(member.guild_id, member.share_progress, member.share_transcripts)
