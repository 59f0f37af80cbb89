"""Charts rendered from known data, read back as images and inspected."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
from matplotlib import colors
from matplotlib.image import imread

from bot.domain import progress as p
from bot.ui import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 9, 15)  # a Monday
SCORES = [3, 4, 4, 5, 6, 5, 7, 7, 6, 8, 7, 8]


def pixels(png: bytes) -> np.ndarray:
    """The image as a height x width x RGB array of 0..1 floats."""
    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")[:, :, :3]


def share_near(image: np.ndarray, colour: str, tolerance: float = 0.06) -> float:
    """The share of pixels within a tolerance of a colour."""
    target = np.array(colors.to_rgb(colour))
    return float((np.abs(image - target).max(axis=2) < tolerance).mean())


def member_points() -> list[tuple[date, int]]:
    return [(START + timedelta(weeks=i), s) for i, s in enumerate(SCORES)]


def test_stress_chart_is_a_phone_sized_dark_png_with_the_scores_and_trend() -> None:
    points = member_points()
    trend = p.stress_trend([(p.week_index(*p.week_of(d)), s) for d, s in points])
    image = pixels(charts.stress_chart(points, trend))
    assert image.shape == (600, 1000, 3)
    # The margin is Discord's dark chat background, the plot area its darker panel.
    assert colors.to_hex(image[2, 2]) == charts.BACKGROUND
    assert colors.to_hex(image[300, 500]) in (charts.PANEL, charts.GRID, charts.LINE, charts.TREND)
    assert share_near(image, charts.PANEL) > 0.3
    # The score line and the trend line both reach the plot.
    assert share_near(image, charts.LINE) > 0.005
    assert share_near(image, charts.TREND) > 0.002


def test_a_rising_score_is_drawn_higher_on_the_right() -> None:
    points = [(START + timedelta(weeks=i), s) for i, s in enumerate([1, 1, 1, 9, 9, 9])]
    image = pixels(charts.stress_chart(points, None))
    target = np.array(colors.to_rgb(charts.LINE))
    rows, cols = np.nonzero(np.abs(image - target).max(axis=2) < 0.06)
    left = rows[cols < np.percentile(cols, 20)].mean()
    right = rows[cols > np.percentile(cols, 80)].mean()
    # Image rows grow downwards: a higher score sits on a smaller row.
    assert right < left - 150


def test_without_a_trend_no_trend_line_and_without_scores_no_line_at_all() -> None:
    no_trend = pixels(charts.stress_chart(member_points(), None))
    assert share_near(no_trend, charts.LINE) > 0.005
    assert share_near(no_trend, charts.TREND) == 0
    empty = pixels(charts.stress_chart([], None))
    assert empty.shape == (600, 1000, 3)
    assert share_near(empty, charts.LINE) == 0
    # The "no scores yet" note is written in the plot area.
    assert share_near(empty, charts.MUTED, 0.1) > 0.0005


def cohort(weeks: int, *, small_from: int | None = None) -> list[p.CohortWeek]:
    found = []
    for i in range(weeks):
        counts = {3: 4 + i, 5: 10, 8: 3} if small_from is None or i < small_from else {5: 2}
        found.append(p.cohort_week(START + timedelta(weeks=i), counts, 30 - i, 5 + i))
    return found


def test_cohort_chart_shows_the_median_band_and_answered_bars() -> None:
    image = pixels(charts.cohort_chart(cohort(26)))
    assert image.shape == (750, 1000, 3)
    assert colors.to_hex(image[2, 2]) == charts.BACKGROUND
    assert share_near(image, charts.LINE) > 0.002
    assert share_near(image, charts.BARS) > 0.03
    # The inter-quartile band is the line colour blended into the panel.
    band = colors.to_hex(
        0.3 * np.array(colors.to_rgb(charts.LINE)) + 0.7 * np.array(colors.to_rgb(charts.PANEL))
    )
    assert share_near(image, band, 0.03) > 0.02


def test_cohort_weeks_from_too_few_people_are_left_out() -> None:
    full = pixels(charts.cohort_chart(cohort(12)))
    half = pixels(charts.cohort_chart(cohort(12, small_from=6)))
    assert share_near(half, charts.LINE) < 0.75 * share_near(full, charts.LINE)
    none = pixels(charts.cohort_chart(cohort(12, small_from=0)))
    assert share_near(none, charts.LINE) == 0
    # The answered bars do not depend on the scores.
    assert share_near(none, charts.BARS) > 0.03
