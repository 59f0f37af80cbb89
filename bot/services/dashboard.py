"""The mentor dashboard: one server's cohort from a handful of grouped queries.

Privacy. Values about one person (the attention reasons, the member list, the CSV rows)
cover only members who share their progress, and are hidden when the server has fewer than
five members. Counts, rates and the cohort chart also count the members who keep their
progress private, but only when those are five or more: otherwise a total minus the listed
members' values would give away theirs (chart weeks with fewer than five people stay blank
for the same reason). The one exception is a safety alert, listed for anyone by date only:
the alerts channel has named them already. Transcripts are never read here.

"Missed debrief": a weekly debrief DM left unanswered (no Start, Snooze or Skip) until it
expired. A snoozed reminder's re-sends are not counted again: the week counts once.
"Active": a coaching conversation (a debrief included) started or continued in the window.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    NO_GUILD,
    CoachingSession,
    Commitment,
    Member,
    OutboxMessage,
    SafetyEvent,
    StressScore,
)
from bot.domain import progress as maths
from bot.services.clock import Clock, SystemClock
from bot.services.progress import Progress, ProgressService

log = logging.getLogger(__name__)
SHORT, LONG = timedelta(days=7), timedelta(days=30)
COHORT_WEEKS = 26
# This week, last week and the three before the latest score: what the stress rule reads.
RISE_WEEKS = maths.STRESS_RISE_WEEKS + 2
OB, SS, CS, CM = OutboxMessage, StressScore, CoachingSession, Commitment


@dataclass(frozen=True)
class Section:
    """An extra block on the dashboard from another feature: a title and its lines."""

    title: str
    lines: list[str]


SectionSource = Callable[[int], Awaitable[Section | None]]


@dataclass(frozen=True)
class Figures:
    """The server's aggregates, over every member with a record here."""

    members: int
    sharing: int
    active_short: int
    active_long: int
    debriefs_answered: int
    debriefs_missed: int
    commitments_made: int
    commitments_completed: int
    # False: the figures leave out the few members who keep their progress private.
    private_counted: bool = True

    @property
    def completion(self) -> float | None:
        """The share of weekly debriefs answered in the last 30 days."""
        return maths.completion_rate(self.debriefs_answered, self.debriefs_missed)


@dataclass(frozen=True)
class MemberRow:
    """One listed person: reasons for attention and, when they share, a few figures."""

    user_id: int
    name: str
    shares: bool
    reasons: list[str]
    latest_stress: int | None = None
    open_commitments: int | None = None
    last_active: datetime | None = None


@dataclass(frozen=True)
class Dashboard:
    """What /dashboard shows: figures, one page of people, and any extra sections."""

    guild_id: int
    figures: Figures
    attention: int
    members: list[MemberRow]
    page: maths.Page
    per_member_hidden: bool
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Export:
    """The CSV file and how many members it lists one by one."""

    data: bytes
    members: int
    per_member_hidden: bool


EXPORT_COLUMNS = (
    "member",
    "user_id",
    "last_active",
    "conversations_30d",
    "conversations_total",
    "debriefs_answered_30d",
    "debriefs_missed_30d",
    "debrief_completion_30d",
    "commitments_made_30d",
    "commitments_completed_30d",
    "commitments_open",
    "latest_stress",
    "needs_attention",
)


@dataclass
class _Person:
    user_id: int
    name: str
    member_id: int | None = None  # set for members who share
    reasons: list[str] = field(default_factory=list)
    stress: dict[int, int] = field(default_factory=dict)
    debriefs: tuple[int, int] = (0, 0)  # answered and missed in the last 30 days


@dataclass
class _Cohort:
    figures: Figures
    people: list[_Person]  # listed order: attention first, safety before the rest
    hidden: bool


def _in_guild(guild_id: int) -> ColumnElement[bool]:
    return Member.guild_id == guild_id


def _answered() -> ColumnElement[bool]:
    return OB.answered_at.is_not(None)


def _missed(now: datetime) -> ColumnElement[bool]:
    left = or_(OB.status == "expired", and_(OB.status == "sent", OB.expires_at < now))
    return and_(OB.answered_at.is_(None), left)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _population(s: AsyncSession, guild_id: int) -> tuple[int, int, ColumnElement[bool]]:
    """How many members the server has, how many share, and whom aggregates may count."""
    total, sharing = (
        await s.execute(
            select(func.count(), _count(Member.share_progress.is_(True))).where(_in_guild(guild_id))
        )
    ).one()
    if maths.counts_private(total, sharing):
        return total, sharing, _in_guild(guild_id)
    return total, sharing, and_(_in_guild(guild_id), Member.share_progress.is_(True))


class DashboardService:
    """Cohort figures, the attention list, one member's shared progress, the CSV export."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        progress: ProgressService,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._sm = sessionmaker
        self._progress = progress
        self._clock = clock or SystemClock()
        self._sources: list[SectionSource] = []

    def add_section(self, source: SectionSource) -> None:
        """Show another feature's block (office hours, say) on every dashboard."""
        self._sources.append(source)

    async def member(self, guild_id: int, user_id: int) -> Progress | None:
        """One member's structured progress, or None unless they share it in this server."""
        return await self._progress.shared(guild_id, user_id)

    async def overview(self, guild_id: int, page: int = 0) -> Dashboard:
        """The figures and one page of the people list."""
        now = self._clock.now()
        async with self._sm() as s:
            cohort = await self._cohort(s, guild_id, now)
            at = maths.page_of(len(cohort.people), page)
            shown = cohort.people[at.start : at.stop]
            rows = await self._rows(s, shown, now)
        sections = [await self._section(source, guild_id) for source in self._sources]
        return Dashboard(
            guild_id=guild_id,
            figures=cohort.figures,
            attention=sum(1 for p in cohort.people if p.reasons),
            members=rows,
            page=at,
            per_member_hidden=cohort.hidden,
            sections=[found for found in sections if found is not None],
        )

    async def _section(self, source: SectionSource, guild_id: int) -> Section | None:
        try:
            return await source(guild_id)
        except Exception:  # another feature's failure must not take the dashboard down
            log.exception("dashboard section %r failed for guild %s", source, guild_id)
            return None

    async def cohort_weeks(
        self, guild_id: int, weeks: int = COHORT_WEEKS
    ) -> list[maths.CohortWeek]:
        """Each of the last weeks: the stress spread and the share of debriefs answered."""
        now = self._clock.now()
        span = maths.recent_weeks(now.date(), weeks)
        # A debrief due early on a Monday in Asia is still Sunday in UTC: start a day early.
        first = datetime.combine(maths.week_monday(*span[0]), time(), UTC) - timedelta(days=1)
        counts: dict[tuple[int, int], dict[int, int]] = {w: {} for w in span}
        outcomes: dict[tuple[int, int], list[int]] = {w: [0, 0] for w in span}
        async with self._sm() as s:
            _, _, counted = await _population(s, guild_id)
            scores = await s.execute(
                select(SS.iso_year, SS.iso_week, SS.score, func.count())
                .join(Member, Member.id == SS.member_id)
                .where(counted, tuple_(SS.iso_year, SS.iso_week).in_(span))
                .group_by(SS.iso_year, SS.iso_week, SS.score)
            )
            for y, w, score, n in scores.all():
                counts[(y, w)][score] = n
            # The occurrence key is the member's local date of the debrief: its ISO week.
            keyed = await s.execute(
                select(OB.occurrence_key, _count(_answered()), _count(_missed(now)))
                .join(Member, Member.id == OB.member_id)
                .where(*self._debriefs(counted, first, now))
                .group_by(OB.occurrence_key)
            )
            for key, answered, missed in keyed.all():
                week = _key_week(key)
                if week in outcomes:
                    outcomes[week][0] += answered
                    outcomes[week][1] += missed
        return [maths.cohort_week(maths.week_monday(*w), counts[w], *outcomes[w]) for w in span]

    async def export_csv(self, guild_id: int) -> Export:
        """A totals row for the counted members, then one row per sharing member (unless hidden)."""
        now = self._clock.now()
        async with self._sm() as s:
            cohort = await self._cohort(s, guild_id, now)
            _, _, counted = await _population(s, guild_id)
            talks = await s.execute(
                select(
                    CS.member_id,
                    _count(CS.updated_at >= now - LONG),
                    func.count(),
                    func.max(CS.updated_at),
                )
                .join(Member, Member.id == CS.member_id)
                .where(counted)
                .group_by(CS.member_id)
            )
            conversations = {m: (recent, n, last) for m, recent, n, last in talks.all()}
            steps = await s.execute(
                select(
                    CM.member_id,
                    _count(CM.created_at >= now - LONG),
                    _count(and_(CM.status == "done", CM.completed_at >= now - LONG)),
                    _count(CM.status == "open"),
                )
                .join(Member, Member.id == CM.member_id)
                .where(counted)
                .group_by(CM.member_id)
            )
            commitments = {m: (made, done, still) for m, made, done, still in steps.all()}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        f = cohort.figures
        writer.writerow(
            [
                f"Totals ({f.members if f.private_counted else f.sharing} members)",
                "",
                "",
                sum(c[0] for c in conversations.values()),
                sum(c[1] for c in conversations.values()),
                f.debriefs_answered,
                f.debriefs_missed,
                _rate(f.completion),
                sum(c[0] for c in commitments.values()),
                sum(c[1] for c in commitments.values()),
                sum(c[2] for c in commitments.values()),
                "",
                sum(1 for p in cohort.people if p.reasons),
            ]
        )
        sharing = sorted(
            (p for p in cohort.people if p.member_id is not None), key=lambda p: p.name.casefold()
        )
        for p in sharing:
            assert p.member_id is not None
            recent, total, last = conversations.get(p.member_id, (0, 0, None))
            made, done, still = commitments.get(p.member_id, (0, 0, 0))
            answered, missed = p.debriefs
            writer.writerow(
                [
                    _cell(p.name),
                    str(p.user_id),
                    last.date().isoformat() if last else "",
                    recent,
                    total,
                    answered,
                    missed,
                    _rate(maths.completion_rate(answered, missed)),
                    made,
                    done,
                    still,
                    p.stress[max(p.stress)] if p.stress else "",
                    "; ".join(p.reasons),
                ]
            )
        return Export(out.getvalue().encode("utf-8"), len(sharing), cohort.hidden)

    @staticmethod
    def _debriefs(counted: ColumnElement[bool], since: datetime, now: datetime) -> list[Any]:
        """Weekly debrief rows of counted members due in a window, a snooze's re-sends left out."""
        return [
            counted,
            OB.kind == "debrief",
            OB.due_at >= since,
            OB.due_at <= now,
            ~OB.occurrence_key.contains("+"),
        ]

    async def _cohort(self, s: AsyncSession, guild_id: int, now: datetime) -> _Cohort:
        """Every aggregate and every person's reasons, in seven grouped queries."""
        total, sharing, counted = await _population(s, guild_id)
        hidden = not maths.shows_members(total)
        active = (
            await s.execute(
                select(
                    func.count(distinct(case((CS.updated_at >= now - SHORT, CS.member_id)))),
                    func.count(distinct(CS.member_id)),
                )
                .join(Member, Member.id == CS.member_id)
                .where(counted, CS.updated_at >= now - LONG)
            )
        ).one()
        made, completed = (
            await s.execute(
                select(
                    _count(CM.created_at >= now - LONG),
                    _count(and_(CM.status == "done", CM.completed_at >= now - LONG)),
                )
                .join(Member, Member.id == CM.member_id)
                .where(
                    counted,
                    or_(CM.created_at >= now - LONG, CM.completed_at >= now - LONG),
                )
            )
        ).one()
        debriefs = await s.execute(
            select(
                OB.member_id,
                _count(_answered()),
                _count(_missed(now)),
                _count(and_(_missed(now), OB.due_at >= now - maths.MISSED_WINDOW)),
            )
            .join(Member, Member.id == OB.member_id)
            .where(*self._debriefs(counted, now - LONG, now))
            .group_by(OB.member_id)
        )
        per_member = {m: (a, x, recent) for m, a, x, recent in debriefs.all()}
        figures = Figures(
            members=total,
            sharing=sharing,
            active_short=active[0],
            active_long=active[1],
            debriefs_answered=sum(a for a, _, _ in per_member.values()),
            debriefs_missed=sum(x for _, x, _ in per_member.values()),
            commitments_made=made,
            commitments_completed=completed,
            private_counted=maths.counts_private(total, sharing),
        )
        people = {} if hidden else await self._sharing(s, guild_id, now, per_member)
        await self._safety(s, guild_id, now, people)
        listed = sorted(people.values(), key=_listing_order)
        if hidden:
            # Only safety alerts, which the alerts channel has shown already, stay listed.
            listed = [p for p in listed if p.reasons]
        return _Cohort(figures=figures, people=listed, hidden=hidden)

    async def _sharing(
        self,
        s: AsyncSession,
        guild_id: int,
        now: datetime,
        debriefs: dict[int, tuple[int, int, int]],
    ) -> dict[int, _Person]:
        """Sharing members with their stress, missed-debrief and overdue reasons."""
        today = now.date()
        shares = and_(_in_guild(guild_id), Member.share_progress.is_(True))
        found = await s.execute(
            select(Member.id, Member.user_id, Member.display_name).where(shares)
        )
        by_member = {m: _Person(user_id=u, name=n, member_id=m) for m, u, n in found.all()}
        weeks = maths.recent_weeks(today, RISE_WEEKS)
        columns = [
            func.max(case((and_(SS.iso_year == y, SS.iso_week == w), SS.score))) for y, w in weeks
        ]
        scores = await s.execute(
            select(SS.member_id, *columns)
            .join(Member, Member.id == SS.member_id)
            .where(shares, tuple_(SS.iso_year, SS.iso_week).in_(weeks))
            .group_by(SS.member_id)
        )
        indexes = [maths.week_index(y, w) for y, w in weeks]
        for member_id, *values in scores.all():
            person = by_member[member_id]
            person.stress = {i: v for i, v in zip(indexes, values, strict=True) if v is not None}
        overdue = await s.execute(
            select(CM.member_id, func.min(CM.due_date), func.count())
            .join(Member, Member.id == CM.member_id)
            .where(shares, CM.status == "open", CM.due_date <= today - maths.OVERDUE_AFTER)
            .group_by(CM.member_id)
        )
        late = {m: (due, n) for m, due, n in overdue.all()}
        for member_id, person in by_member.items():
            answered, missed, recent = debriefs.get(member_id, (0, 0, 0))
            person.debriefs = (answered, missed)
            due, n = late.get(member_id, (None, 0))
            person.reasons = [
                r
                for r in (
                    maths.stress_rise(person.stress, indexes[-1]),
                    maths.missed_debriefs(recent),
                    maths.overdue_commitment(due, today, n),
                )
                if r is not None
            ]
        return {p.user_id: p for p in by_member.values()}

    async def _safety(
        self, s: AsyncSession, guild_id: int, now: datetime, people: dict[int, _Person]
    ) -> None:
        """Add a dated safety reason for anyone in the server with an alert in 30 days."""
        here = select(Member.user_id).where(_in_guild(guild_id))
        # A DM conversation's alert went to every server of that user: count it here too.
        rows = await s.execute(
            select(Member.user_id, func.max(SafetyEvent.created_at))
            .join(Member, Member.id == SafetyEvent.member_id)
            .where(
                SafetyEvent.created_at >= now - maths.SAFETY_WINDOW,
                or_(
                    _in_guild(guild_id),
                    and_(Member.guild_id == NO_GUILD, Member.user_id.in_(here)),
                ),
            )
            .group_by(Member.user_id)
        )
        alerts = dict(rows.all())
        missing = [u for u in alerts if u not in people]
        if missing:
            names = await s.execute(
                select(Member.user_id, Member.display_name).where(
                    _in_guild(guild_id), Member.user_id.in_(missing)
                )
            )
            for user_id, name in names.all():
                people[user_id] = _Person(user_id=user_id, name=name)
        for user_id, last in alerts.items():
            reason = maths.safety_alert(last, now)
            if reason is not None and user_id in people:
                people[user_id].reasons.insert(0, reason)

    async def _rows(
        self, s: AsyncSession, shown: Sequence[_Person], now: datetime
    ) -> list[MemberRow]:
        """The listed page with open commitments and last activity of those who share."""
        ids = [p.member_id for p in shown if p.member_id is not None]
        open_counts: dict[int, int] = {}
        last_active: dict[int, datetime] = {}
        if ids:
            found = await s.execute(
                select(CM.member_id, func.count())
                .where(CM.member_id.in_(ids), CM.status == "open")
                .group_by(CM.member_id)
            )
            open_counts = dict(found.all())
            active = await s.execute(
                select(CS.member_id, func.max(CS.updated_at))
                .where(CS.member_id.in_(ids))
                .group_by(CS.member_id)
            )
            last_active = dict(active.all())
        rows = []
        for p in shown:
            if p.member_id is None:
                rows.append(MemberRow(p.user_id, p.name, shares=False, reasons=p.reasons))
                continue
            latest = p.stress[max(p.stress)] if p.stress else None
            rows.append(
                MemberRow(
                    p.user_id,
                    p.name,
                    shares=True,
                    reasons=p.reasons,
                    latest_stress=latest,
                    open_commitments=open_counts.get(p.member_id, 0),
                    last_active=last_active.get(p.member_id),
                )
            )
        return rows


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.2f}"


def _cell(text: str) -> str:
    """Keep a display name from running as a spreadsheet formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _listing_order(person: _Person) -> tuple[int, int, str]:
    """Safety alerts first, then more reasons before fewer, then by name."""
    safety = any(r.startswith("safety alert") for r in person.reasons)
    return (0 if safety else 1, -len(person.reasons), person.name.casefold())


def _key_week(key: str) -> tuple[int, int] | None:
    """The ISO week of a debrief's occurrence key (its local date, YYYY-MM-DD)."""
    try:
        return maths.week_of(date.fromisoformat(key[:10]))
    except ValueError:
        return None
