"""Due dates read from a member's words."""

from datetime import UTC, date, datetime

import pytest

from bot.domain.dates import format_due, local_date, parse_due

MONDAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll send it today", date(2026, 11, 23)),
        ("tonight after dinner", date(2026, 11, 23)),
        ("tomorrow morning", date(2026, 11, 24)),
        ("the day after tomorrow", date(2026, 11, 25)),
        ("by Friday", date(2026, 11, 27)),
        ("on wed", date(2026, 11, 25)),
        ("by mon", date(2026, 11, 30)),
        ("next Tuesday", date(2026, 12, 1)),
        ("next week", date(2026, 12, 4)),
        ("by the end of the week", date(2026, 11, 27)),
        ("over the weekend", date(2026, 11, 28)),
        ("in 3 days", date(2026, 11, 26)),
        ("in two weeks", date(2026, 12, 7)),
        ("in a month", date(2026, 12, 23)),
        ("in a couple of days", date(2026, 11, 25)),
        ("end of the month", date(2026, 11, 30)),
        ("by 2026-12-15", date(2026, 12, 15)),
        ("1 December", date(2026, 12, 1)),
        ("Dec 3rd", date(2026, 12, 3)),
        ("by 5 January", date(2027, 1, 5)),
        ("by the 15th", date(2026, 12, 15)),
        ("by the 30th", date(2026, 11, 30)),
    ],
)
def test_due_dates(text: str, expected: date) -> None:
    assert parse_due(text, MONDAY) == expected


@pytest.mark.parametrize(
    "text",
    ["update my CV", "talk to my manager about the sun", "when I feel ready", "by 2026-02-30"],
)
def test_no_due_date(text: str) -> None:
    assert parse_due(text, MONDAY) is None


def test_weekday_on_same_day_means_next_week() -> None:
    assert parse_due("by Monday", MONDAY) == date(2026, 11, 30)


def test_end_of_week_on_saturday_is_sunday() -> None:
    assert parse_due("this week", date(2026, 11, 28)) == date(2026, 11, 29)


def test_format_due() -> None:
    assert format_due(date(2026, 11, 27), MONDAY) == "Friday 27 November"
    assert format_due(date(2027, 1, 5), MONDAY) == "Tuesday 5 January 2027"


def test_local_date_follows_time_zone() -> None:
    instant = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert local_date(instant, "Asia/Tokyo") == date(2026, 11, 24)
    assert local_date(instant, "America/Los_Angeles") == date(2026, 11, 23)
    assert local_date(instant, "Not/AZone") == date(2026, 11, 23)
    assert local_date(instant, None) == date(2026, 11, 23)
