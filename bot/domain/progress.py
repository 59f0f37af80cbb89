"""Progress maths: ISO weeks, debrief streaks, stress trends, attention rules, paging."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Aggregates over fewer people than this hide per-member values (and chart points).
MIN_COHORT = 5
STRESS_RISE_POINTS = 2
STRESS_RISE_WEEKS = 3
MISSED_DEBRIEFS = 2
MISSED_WINDOW = timedelta(days=28)
OVERDUE_AFTER = timedelta(days=7)
SAFETY_WINDOW = timedelta(days=30)
PAGE_SIZE = 10
# A trend moving less than this over four weeks reads as steady, not as a change.
STEADY_PER_MONTH = 0.5

IsoWeek = tuple[int, int]


def week_monday(iso_year: int, iso_week: int) -> date:
    """The Monday that starts an ISO week."""
    return date.fromisocalendar(iso_year, iso_week, 1)


def week_index(iso_year: int, iso_week: int) -> int:
    """A running number of the ISO week: consecutive weeks differ by one, across years."""
    # date(1, 1, 1) is a Monday with ordinal 1, so every Monday's ordinal is 1 mod 7.
    return (week_monday(iso_year, iso_week).toordinal() - 1) // 7


def week_of(day: date) -> IsoWeek:
    """The ISO (year, week) a date falls in."""
    iso = day.isocalendar()
    return iso.year, iso.week


def index_monday(index: int) -> date:
    """The Monday of a week given by its running number."""
    return date.fromordinal(index * 7 + 1)


def recent_weeks(today: date, count: int) -> list[IsoWeek]:
    """The last `count` ISO weeks, oldest first, ending with the week of `today`."""
    current = week_index(*week_of(today))
    return [week_of(index_monday(current - back)) for back in range(count - 1, -1, -1)]


def debrief_streak(weeks: Iterable[IsoWeek], today: date) -> int:
    """How many weeks in a row have a stress score, counting back from this week.

    This week counts when it has a score; when it has none yet the streak still stands on
    last week, because the week is not over.
    """
    have = {week_index(y, w) for y, w in weeks}
    current = week_index(*week_of(today))
    start = current if current in have else current - 1
    streak = 0
    while start - streak in have:
        streak += 1
    return streak


@dataclass(frozen=True)
class Trend:
    """A least-squares line through weekly scores: score = intercept + slope * week."""

    slope: float
    intercept: float
    points: int

    def at(self, week: float) -> float:
        """The line's value at a week's running number."""
        return self.intercept + self.slope * week

    @property
    def per_month(self) -> float:
        """The change over four weeks."""
        return self.slope * 4

    @property
    def direction(self) -> str:
        """rising, easing or steady."""
        if abs(self.per_month) < STEADY_PER_MONTH:
            return "steady"
        return "rising" if self.slope > 0 else "easing"


def stress_trend(points: Sequence[tuple[int, float]]) -> Trend | None:
    """Fit ordinary least squares to (week number, score) pairs; None under three weeks.

    The slope is the change in score per week. Two points always make a perfect line, so
    a trend needs at least three distinct weeks before it says anything.
    """
    if len({x for x, _ in points}) < 3:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    return Trend(slope=slope, intercept=mean_y - slope * mean_x, points=n)


def describe_trend(trend: Trend | None) -> str:
    """The trend in plain words."""
    if trend is None:
        return "not enough weeks yet for a trend (it needs three)"
    if trend.direction == "steady":
        return f"steady over {trend.points} weeks"
    size = abs(trend.per_month)
    return f"{trend.direction}, about {size:.1f} points a month over {trend.points} weeks"


def stress_rise(scores: Mapping[int, int], current_week: int) -> str | None:
    """Stress up 2 or more points over (at most) three weeks, or None.

    `scores` maps week numbers to scores. The latest score must be from this week or last
    week (an old rise is no longer news); it is compared with the earliest score in the
    three weeks before it.
    """
    recent = [w for w in scores if current_week - 1 <= w <= current_week]
    if not recent:
        return None
    latest = max(recent)
    before = [w for w in scores if latest - STRESS_RISE_WEEKS <= w < latest]
    if not before:
        return None
    base = min(before)
    if scores[latest] - scores[base] < STRESS_RISE_POINTS:
        return None
    weeks = latest - base
    span = "a week" if weeks == 1 else f"{weeks} weeks"
    return f"stress up from {scores[base]} to {scores[latest]} in {span}"


def missed_debriefs(missed: int) -> str | None:
    """Two or more weekly debriefs left unanswered in the last four weeks, or None."""
    if missed < MISSED_DEBRIEFS:
        return None
    return f"missed {missed} debriefs in the last 4 weeks"


def overdue_commitment(oldest_due: date | None, today: date, count: int = 1) -> str | None:
    """An open commitment due a week or more ago, or None."""
    if oldest_due is None or today - oldest_due < OVERDUE_AFTER:
        return None
    if count > 1:
        return f"{count} commitments overdue by a week or more (oldest due {oldest_due:%d %b})"
    return f"commitment overdue since {oldest_due:%d %b}"


def safety_alert(last: datetime | None, now: datetime) -> str | None:
    """A safety alert in the last 30 days, by date only, or None."""
    if last is None or now - last > SAFETY_WINDOW:
        return None
    return f"safety alert on {last:%d %b %Y}"


def completion_rate(answered: int, missed: int) -> float | None:
    """The share of weekly debriefs answered, or None when none was due."""
    total = answered + missed
    return None if total == 0 else answered / total


def format_rate(rate: float | None) -> str:
    """A rate as a whole percentage, or a dash when there is none."""
    return "-" if rate is None else f"{round(rate * 100)}%"


def shows_members(cohort: int) -> bool:
    """Whether per-member values may be shown beside aggregates over `cohort` people."""
    return cohort >= MIN_COHORT


def counts_private(members: int, sharing: int) -> bool:
    """Whether aggregates may include the members who keep their progress private.

    Beside per-member values of those who share, a total over everyone gives away the
    private members' total by subtraction; that is only safe when they are five or more.
    """
    private = members - sharing
    return private == 0 or private >= MIN_COHORT


def quantile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of values given as value -> count, linearly interpolated.

    Matches `statistics.quantiles(method="inclusive")` and numpy's default, without
    expanding the counts, so a week of thousands of scores costs eleven steps.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} is outside 0..1")
    ordered = sorted((v, c) for v, c in counts.items() if c > 0)
    total = sum(c for _, c in ordered)
    if total == 0:
        return None
    position = q * (total - 1)
    low_rank = math.floor(position)
    low, high = _ranked(ordered, low_rank), _ranked(ordered, min(low_rank + 1, total - 1))
    return low + (position - low_rank) * (high - low)


def _ranked(ordered: Sequence[tuple[int, int]], rank: int) -> float:
    """The value at a 0-based rank of the expanded, sorted values."""
    seen = 0
    for value, count in ordered:
        seen += count
        if rank < seen:
            return float(value)
    raise IndexError(rank)


@dataclass(frozen=True)
class Page:
    """One page of a list: its 0-based number, how many there are, and its slice."""

    number: int
    pages: int
    start: int
    stop: int

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 0

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.number < self.pages - 1


def page_of(total: int, number: int, size: int = PAGE_SIZE) -> Page:
    """The page `number` of `total` items, clamped into range (an empty list has one page)."""
    if size < 1:
        raise ValueError("a page holds at least one item")
    pages = max(1, math.ceil(total / size))
    number = min(max(number, 0), pages - 1)
    start = number * size
    return Page(number=number, pages=pages, start=start, stop=min(total, start + size))


@dataclass(frozen=True)
class CohortWeek:
    """One week of a cohort: the spread of stress scores and the share of debriefs answered.

    Figures drawn from fewer than MIN_COHORT people are None, so no one's own score or
    answer can be read off the chart.
    """

    week_start: date
    scores: int
    median: float | None
    q1: float | None
    q3: float | None
    debriefs: int
    completion: float | None


def cohort_week(
    week_start: date, score_counts: Mapping[int, int], answered: int, missed: int
) -> CohortWeek:
    """Summarise one week of a cohort from its score histogram and debrief outcomes."""
    scores = sum(score_counts.values())
    spread = scores >= MIN_COHORT
    debriefs = answered + missed
    return CohortWeek(
        week_start=week_start,
        scores=scores,
        median=quantile(score_counts, 0.5) if spread else None,
        q1=quantile(score_counts, 0.25) if spread else None,
        q3=quantile(score_counts, 0.75) if spread else None,
        debriefs=debriefs,
        completion=completion_rate(answered, missed) if debriefs >= MIN_COHORT else None,
    )
