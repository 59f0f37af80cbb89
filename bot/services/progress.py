"""A member's progress: goals, commitments, conversations, debrief streak and stress trend.

Whose rows count. A Discord user has one `members` row per server plus one for direct
messages and the console (guild 0). `/progress` in DMs shows all of the user's rows
together; in a server it shows that server's row and the DM row, never another server's.
A mentor sees one member's progress only through `shared`: that server's row alone, and
only when the member shares their progress there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import NO_GUILD, CoachingSession, Commitment, Goal, Member, StressScore
from bot.domain import progress as maths
from bot.services.clock import Clock, SystemClock

CHART_WEEKS = 26
MAX_LISTED = 25
RECENTLY_DONE = 3


@dataclass(frozen=True)
class CommitmentItem:
    """One commitment as the member worded it."""

    text: str
    due_date: date | None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    """Everything `/progress` shows, for one user over one or more member rows."""

    name: str
    today: date
    goals: list[str]
    open_commitments: list[CommitmentItem]
    completed: int
    recently_completed: list[CommitmentItem]
    sessions_by_framework: list[tuple[str, int]]
    streak: int
    stress: list[tuple[date, int]]
    trend: maths.Trend | None

    @property
    def latest_stress(self) -> tuple[date, int] | None:
        """The newest weekly score and the Monday of its week."""
        return self.stress[-1] if self.stress else None

    @property
    def is_empty(self) -> bool:
        """Whether nothing at all has been recorded yet."""
        found = (self.goals, self.open_commitments, self.completed, self.sessions_by_framework)
        return not any(found) and not self.stress


class ProgressService:
    """Read a member's progress; reads only, so no unit of work is taken."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock | None = None
    ) -> None:
        self._sm = sessionmaker
        self._clock = clock or SystemClock()

    async def own(self, user_id: int, guild_id: int | None, name: str) -> Progress:
        """The user's own progress: every row in DMs, this server's and the DM row in a server."""
        stmt = select(Member.id).where(Member.user_id == user_id)
        if guild_id is not None:
            stmt = stmt.where(Member.guild_id.in_([guild_id, NO_GUILD]))
        async with self._sm() as s:
            ids = list((await s.scalars(stmt)).all())
            return await self._build(s, ids, name)

    async def shared(self, guild_id: int, user_id: int) -> Progress | None:
        """A member's progress in one server for its mentors, or None unless they share it."""
        if guild_id == NO_GUILD:
            return None
        async with self._sm() as s:
            row = (
                await s.execute(
                    select(Member.id, Member.display_name).where(
                        Member.guild_id == guild_id,
                        Member.user_id == user_id,
                        Member.share_progress.is_(True),
                    )
                )
            ).first()
            if row is None:
                return None
            return await self._build(s, [row.id], row.display_name)

    async def _build(self, s: AsyncSession, ids: Sequence[int], name: str) -> Progress:
        """Gather the figures of some member rows of one user."""
        today = self._clock.now().date()
        goals = await s.scalars(
            select(Goal.text)
            .where(Goal.member_id.in_(ids), Goal.status == "active")
            .order_by(Goal.created_at, Goal.id)
            .limit(MAX_LISTED)
        )
        open_rows = await s.execute(
            select(Commitment.text, Commitment.due_date)
            .where(Commitment.member_id.in_(ids), Commitment.status == "open")
            # Dated ones first, soonest first; undated ones after, oldest first.
            .order_by(Commitment.due_date.is_(None), Commitment.due_date, Commitment.id)
            .limit(MAX_LISTED)
        )
        done = Commitment.member_id.in_(ids) & (Commitment.status == "done")
        completed = await s.scalar(select(func.count()).where(done)) or 0
        recent_rows = await s.execute(
            select(Commitment.text, Commitment.due_date, Commitment.completed_at)
            .where(done)
            .order_by(Commitment.completed_at.desc(), Commitment.id.desc())
            .limit(RECENTLY_DONE)
        )
        by_framework = await s.execute(
            select(CoachingSession.framework_id, func.count())
            .where(CoachingSession.member_id.in_(ids))
            .group_by(CoachingSession.framework_id)
            .order_by(func.count().desc(), CoachingSession.framework_id)
        )
        weeks = await self._weekly_scores(s, ids, today)
        shown_from = maths.week_index(*maths.week_of(today)) - CHART_WEEKS + 1
        shown = [(w, score) for w, score in sorted(weeks.items()) if w >= shown_from]
        return Progress(
            name=name,
            today=today,
            goals=list(goals),
            open_commitments=[CommitmentItem(t, d) for t, d in open_rows.all()],
            completed=completed,
            recently_completed=[CommitmentItem(t, d, c) for t, d, c in recent_rows.all()],
            sessions_by_framework=[(f, int(n)) for f, n in by_framework.all()],
            streak=maths.debrief_streak(
                [maths.week_of(maths.index_monday(w)) for w in weeks], today
            ),
            stress=[(maths.index_monday(w), score) for w, score in shown],
            trend=maths.stress_trend([(w, float(score)) for w, score in shown]),
        )

    async def _weekly_scores(
        self, s: AsyncSession, ids: Sequence[int], today: date
    ) -> dict[int, int]:
        """Scores by week number over the last two years."""
        # Where two member rows hold the same week, the later answer wins, as within one row.
        rows = await s.execute(
            select(StressScore.iso_year, StressScore.iso_week, StressScore.score)
            .where(StressScore.member_id.in_(ids), StressScore.iso_year >= today.year - 2)
            .order_by(StressScore.recorded_at, StressScore.id)
        )
        return {maths.week_index(y, w): score for y, w, score in rows.all()}
