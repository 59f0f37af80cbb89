"""Progress maths: weeks, streaks, trends, the attention rules, quantiles and paging."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import progress as p

# Thursday 2026-03-12 is in ISO week 2026-W11 (Monday 9 March).
TODAY = date(2026, 3, 12)
NOW = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
CURRENT = p.week_index(2026, 11)


def test_week_index_is_consecutive_across_a_53_week_year() -> None:
    # 2026 has 53 ISO weeks: W53 then 2027-W01 must be neighbours.
    assert p.week_index(2026, 53) + 1 == p.week_index(2027, 1)
    assert p.week_index(2026, 1) + 1 == p.week_index(2026, 2)
    assert p.index_monday(p.week_index(2027, 1)) == date(2027, 1, 4)
    assert p.week_of(date(2027, 1, 3)) == (2026, 53)


def test_recent_weeks_end_with_this_week_and_cross_the_new_year() -> None:
    weeks = p.recent_weeks(date(2027, 1, 6), 3)
    assert weeks == [(2026, 52), (2026, 53), (2027, 1)]


@pytest.mark.parametrize(
    ("weeks", "streak"),
    [
        ([], 0),
        ([(2026, 11)], 1),
        ([(2026, 10), (2026, 11)], 2),
        # Nothing yet this week: the streak still stands on last week.
        ([(2026, 8), (2026, 9), (2026, 10)], 3),
        # A gap breaks it.
        ([(2026, 7), (2026, 9), (2026, 10), (2026, 11)], 3),
        # Last week missing and nothing this week: no streak.
        ([(2026, 8), (2026, 9)], 0),
    ],
)
def test_debrief_streak(weeks: list[tuple[int, int]], streak: int) -> None:
    assert p.debrief_streak(weeks, TODAY) == streak


def test_debrief_streak_runs_across_the_year_end() -> None:
    weeks = [(2026, 52), (2026, 53), (2027, 1)]
    assert p.debrief_streak(weeks, date(2027, 1, 8)) == 3


def test_stress_trend_is_the_least_squares_line() -> None:
    trend = p.stress_trend([(0, 2.0), (1, 4.0), (2, 6.0), (3, 8.0)])
    assert trend is not None
    assert trend.slope == pytest.approx(2.0)
    assert trend.intercept == pytest.approx(2.0)
    assert trend.direction == "rising"
    assert p.describe_trend(trend) == "rising, about 8.0 points a month over 4 weeks"
    noisy = p.stress_trend([(10, 5.0), (11, 7.0), (12, 3.0), (13, 5.0)])
    assert noisy is not None
    # Hand computation: mean x 11.5, sxy = -2, sxx = 5 -> slope -0.4.
    assert noisy.slope == pytest.approx(-0.4)
    assert noisy.at(11.5) == pytest.approx(5.0)
    assert noisy.direction == "easing"


def test_stress_trend_needs_three_weeks_and_flat_is_steady() -> None:
    assert p.stress_trend([]) is None
    assert p.stress_trend([(1, 3.0), (2, 9.0)]) is None
    assert p.stress_trend([(1, 3.0), (1, 9.0), (2, 5.0)]) is None
    flat = p.stress_trend([(1, 5.0), (2, 5.0), (3, 5.1)])
    assert flat is not None
    assert flat.direction == "steady"
    assert "steady over 3 weeks" in p.describe_trend(flat)
    assert "three" in p.describe_trend(None)


@pytest.mark.parametrize(
    ("scores", "reason"),
    [
        # Up 3 over three weeks.
        ({CURRENT - 3: 4, CURRENT - 2: 5, CURRENT - 1: 6, CURRENT: 7}, "from 4 to 7 in 3 weeks"),
        # Exactly 2 counts.
        ({CURRENT - 1: 3, CURRENT: 5}, "stress up from 3 to 5 in a week"),
        # Latest last week is still current.
        ({CURRENT - 4: 2, CURRENT - 2: 6, CURRENT - 1: 8}, "from 2 to 8 in 3 weeks"),
        # Up only 1.
        ({CURRENT - 3: 4, CURRENT: 5}, None),
        # Went up then came back down: compared with three weeks ago, not with the low.
        ({CURRENT - 3: 6, CURRENT - 2: 2, CURRENT: 6}, None),
        # A baseline four weeks back is outside the three-week span.
        ({CURRENT - 4: 2, CURRENT: 8}, None),
        # The latest score is two weeks old: no longer news.
        ({CURRENT - 5: 1, CURRENT - 2: 9}, None),
        # One score only.
        ({CURRENT: 9}, None),
        # Falling.
        ({CURRENT - 2: 8, CURRENT: 3}, None),
    ],
)
def test_stress_rise(scores: dict[int, int], reason: str | None) -> None:
    found = p.stress_rise(scores, CURRENT)
    if reason is None:
        assert found is None
    else:
        assert found is not None
        assert reason in found


def test_missed_debriefs_from_two() -> None:
    assert p.missed_debriefs(0) is None
    assert p.missed_debriefs(1) is None
    assert p.missed_debriefs(2) == "missed 2 debriefs in the last 4 weeks"
    assert p.missed_debriefs(4) == "missed 4 debriefs in the last 4 weeks"


def test_overdue_commitment_needs_a_full_week() -> None:
    assert p.overdue_commitment(None, TODAY) is None
    assert p.overdue_commitment(TODAY - timedelta(days=6), TODAY) is None
    assert p.overdue_commitment(TODAY + timedelta(days=3), TODAY) is None
    assert p.overdue_commitment(date(2026, 3, 5), TODAY) == "commitment overdue since 05 Mar"
    several = p.overdue_commitment(date(2026, 2, 1), TODAY, count=3)
    assert several == "3 commitments overdue by a week or more (oldest due 01 Feb)"


def test_safety_alert_within_thirty_days_shows_the_date_only() -> None:
    assert p.safety_alert(None, NOW) is None
    assert p.safety_alert(NOW - timedelta(days=31), NOW) is None
    recent = NOW - timedelta(days=30)
    assert p.safety_alert(recent, NOW) == "safety alert on 10 Feb 2026"


def test_completion_rate_and_its_format() -> None:
    assert p.completion_rate(0, 0) is None
    assert p.completion_rate(3, 1) == 0.75
    assert p.completion_rate(0, 4) == 0.0
    assert p.format_rate(None) == "-"
    assert p.format_rate(2 / 3) == "67%"


def test_small_cohorts_hide_members() -> None:
    assert not p.shows_members(0)
    assert not p.shows_members(4)
    assert p.shows_members(5)


def test_private_members_are_counted_only_five_or_more_at_a_time() -> None:
    assert p.counts_private(10, 10)  # nobody private: nothing to give away
    assert not p.counts_private(10, 9)
    assert not p.counts_private(10, 6)
    assert p.counts_private(10, 5)
    assert p.counts_private(5, 0)


def test_quantile_of_counts_matches_statistics() -> None:
    values = [1, 2, 2, 3, 7, 7, 7, 9, 10]
    counts = {v: values.count(v) for v in set(values)}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert p.quantile(counts, 0.25) == pytest.approx(q1)
    assert p.quantile(counts, 0.5) == pytest.approx(median)
    assert p.quantile(counts, 0.75) == pytest.approx(q3)
    assert p.quantile(counts, 0.0) == 1
    assert p.quantile(counts, 1.0) == 10
    assert p.quantile({}, 0.5) is None
    assert p.quantile({4: 0}, 0.5) is None
    assert p.quantile({6: 1}, 0.75) == 6
    with pytest.raises(ValueError, match="outside"):
        p.quantile(counts, 1.5)


@given(st.lists(st.integers(0, 10), min_size=2, max_size=60), st.sampled_from([0.25, 0.5, 0.75]))
def test_quantile_agrees_with_statistics_on_any_scores(values: list[int], q: float) -> None:
    counts = {v: values.count(v) for v in set(values)}
    expected = statistics.quantiles(values, n=4, method="inclusive")[int(q * 4) - 1]
    assert p.quantile(counts, q) == pytest.approx(expected)


def test_pages_clamp_and_slice() -> None:
    assert p.page_of(0, 0) == p.Page(number=0, pages=1, start=0, stop=0)
    first = p.page_of(25, 0, 10)
    assert (first.start, first.stop, first.pages) == (0, 10, 3)
    assert not first.has_previous
    assert first.has_next
    last = p.page_of(25, 2, 10)
    assert (last.start, last.stop) == (20, 25)
    assert last.has_previous
    assert not last.has_next
    assert p.page_of(25, 99, 10).number == 2
    assert p.page_of(25, -3, 10).number == 0
    assert p.page_of(10, 1, 10) == p.Page(number=0, pages=1, start=0, stop=10)
    with pytest.raises(ValueError, match="at least one"):
        p.page_of(5, 0, 0)


def test_cohort_week_hides_figures_from_fewer_than_five() -> None:
    monday = date(2026, 3, 9)
    full = p.cohort_week(monday, {2: 1, 4: 2, 6: 1, 9: 1}, answered=4, missed=1)
    assert (full.scores, full.median, full.q1, full.q3) == (5, 4.0, 4.0, 6.0)
    assert (full.debriefs, full.completion) == (5, 0.8)
    small = p.cohort_week(monday, {7: 4}, answered=3, missed=1)
    assert (small.scores, small.median, small.q1, small.q3) == (4, None, None, None)
    assert (small.debriefs, small.completion) == (4, None)
