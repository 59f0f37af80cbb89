"""Weekly schedule rules: DST gaps and folds, pauses, missed weeks, expiry, and a planner."""

from __future__ import annotations

import random
import zlib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    DEBRIEF_GRACE,
    NUDGE_AFTER,
    Occurrence,
    WeeklyRule,
    checkin_due,
    due_occurrences,
    format_local,
    is_expired,
    latest_occurrence,
    next_occurrence,
    nudge_due,
    resolve_local,
    upcoming,
)
from bot.domain.timezones import is_valid_zone, selectable_zones

MON, FRI, SAT, SUN = 0, 4, 5, 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall(instant: datetime, tz: str) -> datetime:
    """The naive wall-clock reading of `instant` in `tz`."""
    return instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


# --- resolving a wall-clock time on a date ---------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected", "shown"),
    [
        # New York springs 02:00 -> 03:00: 02:30 does not exist, so it goes at 03:00 EDT.
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7), "03:00"),
        # ... and falls 02:00 -> 01:00: 01:30 happens twice; the first (EDT) is the one.
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30), "01:30"),
        # London's gap is 01:00-02:00, so 01:30 moves and 02:30 is an ordinary time.
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1), "02:00"),
        ("Europe/London", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30), "02:30"),
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30), "01:30"),
        # Southern hemisphere: Sydney springs in October and falls in April.
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16), "03:00"),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30), "02:30"),
        # Lord Howe shifts by half an hour: gap 02:00-02:30, fold 01:30-02:00.
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30), "02:30"),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45), "01:45"),
        # Cairo springs at midnight and falls back from 24:00 to 23:00 on a Thursday night.
        ("Africa/Cairo", date(2026, 4, 24), time(0, 30), utc(2026, 4, 23, 22), "01:00"),
        ("Africa/Cairo", date(2026, 10, 29), time(23, 30), utc(2026, 10, 29, 20, 30), "23:30"),
        # No DST at all: every day is ordinary.
        ("Asia/Kolkata", date(2026, 3, 8), time(2, 30), utc(2026, 3, 7, 21), "02:30"),
        # Samoa skipped Friday 30 December 2011 entirely: that whole day resolves to Saturday 00:00.
        ("Pacific/Apia", date(2011, 12, 30), time(10), utc(2011, 12, 30, 10), "00:00"),
    ],
)
def test_resolve_local(tz: str, day: date, at: time, expected: datetime, shown: str) -> None:
    found = resolve_local(day, at, tz)
    assert found == expected
    assert found.tzinfo is UTC
    assert f"{wall(found, tz):%H:%M}" == shown
    assert found.astimezone(ZoneInfo(tz)).fold == 0


def test_resolve_local_takes_a_zone_object() -> None:
    zone = ZoneInfo("America/New_York")
    assert resolve_local(date(2026, 3, 8), time(2, 30), zone) == utc(2026, 3, 8, 7)


def test_spring_gap_is_sent_once_after_the_jump() -> None:
    rule = WeeklyRule("America/New_York", SUN, time(2, 30))
    dues = [o.due_utc for o in upcoming(rule, utc(2026, 3, 1), 3)]
    # 02:30 EST, then 03:00 EDT on the spring-forward Sunday, then 02:30 EDT.
    assert dues == [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 15, 6, 30)]


def test_autumn_fold_is_sent_once() -> None:
    rule = WeeklyRule("America/New_York", SUN, time(1, 30))
    first = next_occurrence(rule, utc(2026, 10, 30))
    assert first == Occurrence(utc(2026, 11, 1, 5, 30), date(2026, 11, 1))
    # The second 01:30 that night (06:30 UTC) is not another occurrence.
    assert next_occurrence(rule, first.due_utc).local_date == date(2026, 11, 8)
    assert due_occurrences(rule, utc(2026, 11, 8, 6, 30), utc(2026, 11, 1, 6, 30)) == (
        None,
        utc(2026, 11, 8, 6, 30),
    )


def test_a_repeated_day_is_searched_around_the_local_date() -> None:
    # Sitka took the American date in October 1867: the clock went back a whole day, so at
    # 06:00 UTC on the 19th it read Friday the 18th again, after Saturday had begun once.
    rule = WeeklyRule("America/Sitka", SAT, time(0))
    at = datetime(1867, 10, 19, 6, tzinfo=UTC)
    assert wall(at, rule.tz).date() == date(1867, 10, 18)
    first_saturday = datetime(1867, 10, 18, 9, 1, 13, tzinfo=UTC)
    assert latest_occurrence(rule, at) == Occurrence(first_saturday, date(1867, 10, 19))
    assert next_occurrence(rule, first_saturday).local_date == date(1867, 10, 26)


# --- rules, occurrences, confirmation --------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "weekday", "at", "message"),
    [
        ("Mars/Olympus_Mons", MON, time(18), "not a time zone"),
        ("../../etc/passwd", MON, time(18), "not a time zone"),
        ("localtime", MON, time(18), "not a time zone"),
        ("", MON, time(18), "not a time zone"),
        ("Europe/London", 7, time(18), "0 \\(Monday\\) to 6"),
        ("Europe/London", -1, time(18), "0 \\(Monday\\) to 6"),
        ("Europe/London", True, time(18), "0 \\(Monday\\) to 6"),
        ("Europe/London", MON, time(18, tzinfo=UTC), "wall-clock"),
        ("Europe/London", MON, time(18, 30, 15), "whole minutes"),
    ],
)
def test_rule_validation(tz: str, weekday: int, at: time, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklyRule(tz, weekday, at)


def test_next_occurrence_is_strictly_after() -> None:
    rule = WeeklyRule("Europe/London", MON, time(18, 30))
    at_due = utc(2026, 11, 30, 18, 30)
    assert next_occurrence(rule, at_due - timedelta(seconds=1)).due_utc == at_due
    assert next_occurrence(rule, at_due).due_utc == at_due + timedelta(weeks=1)


def test_next_occurrence_uses_the_local_date() -> None:
    # Monday 00:30 in Tokyo is still Sunday in UTC; the key is the Tokyo date.
    rule = WeeklyRule("Asia/Tokyo", MON, time(0, 30))
    found = next_occurrence(rule, utc(2026, 11, 28))
    assert found == Occurrence(utc(2026, 11, 29, 15, 30), date(2026, 11, 30))
    assert found.key == "2026-11-30"


def test_upcoming_three_for_the_confirmation() -> None:
    rule = WeeklyRule("Europe/London", MON, time(18, 30))
    found = upcoming(rule, utc(2026, 11, 25), 3)
    assert [o.key for o in found] == ["2026-11-30", "2026-12-07", "2026-12-14"]
    assert format_local(found[0].due_utc, rule.tz) == ("Monday 30 November, 18:30 (Europe/London)")
    assert upcoming(rule, utc(2026, 11, 25), 0) == []
    with pytest.raises(ValueError, match="negative"):
        upcoming(rule, utc(2026, 11, 25), -1)


def test_format_local_in_another_zone() -> None:
    assert format_local(utc(2026, 7, 1, 1, 5), "America/Los_Angeles") == (
        "Tuesday 30 June, 18:05 (America/Los_Angeles)"
    )


def test_naive_datetimes_are_refused() -> None:
    rule = WeeklyRule("Europe/London", MON, time(18, 30))
    naive = datetime(2026, 11, 25)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(rule, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_occurrences(rule, naive, utc(2026, 11, 25))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_expired(naive, utc(2026, 11, 25), DEBRIEF_GRACE)


# --- the planner's view: due now, missed weeks, pauses ---------------------------------------

LONDON_MONDAYS = WeeklyRule("Europe/London", MON, time(18, 30))


def test_nothing_is_due_before_next_due() -> None:
    next_due = utc(2026, 11, 30, 18, 30)
    assert due_occurrences(LONDON_MONDAYS, next_due, next_due - timedelta(seconds=1)) == (
        None,
        next_due,
    )


def test_due_exactly_at_next_due() -> None:
    next_due = utc(2026, 11, 30, 18, 30)
    found, following = due_occurrences(LONDON_MONDAYS, next_due, next_due)
    assert found == Occurrence(next_due, date(2026, 11, 30))
    assert following == utc(2026, 12, 7, 18, 30)


def test_missed_weeks_merge_into_the_latest() -> None:
    # The bot was down for three Mondays: one debrief for the latest, then back on rhythm.
    found, following = due_occurrences(
        LONDON_MONDAYS, utc(2026, 11, 2, 18, 30), utc(2026, 11, 25, 9)
    )
    assert found == Occurrence(utc(2026, 11, 23, 18, 30), date(2026, 11, 23))
    assert following == utc(2026, 11, 30, 18, 30)


def test_a_stale_next_due_never_repeats_the_last_week() -> None:
    # tz rules moved this week's time an hour later than the stored next_due.
    sent_last_week = utc(2026, 11, 23, 18, 30)
    stored = utc(2026, 11, 30, 17, 30)
    assert latest_occurrence(LONDON_MONDAYS, stored) == Occurrence(
        sent_last_week, date(2026, 11, 23)
    )
    assert due_occurrences(LONDON_MONDAYS, stored, stored) == (None, utc(2026, 11, 30, 18, 30))


def test_a_next_due_moved_later_still_sends_this_week() -> None:
    # tz rules moved this week's time an hour earlier than the stored next_due.
    stored = utc(2026, 11, 30, 19, 30)
    found, _ = due_occurrences(LONDON_MONDAYS, stored, stored)
    assert found is not None
    assert found.key == "2026-11-30"


def test_pause_resumes_on_the_date_itself() -> None:
    after = utc(2026, 11, 25)
    resume_monday = date(2026, 12, 14)
    assert next_occurrence(LONDON_MONDAYS, after, resume_monday).local_date == resume_monday
    assert next_occurrence(LONDON_MONDAYS, after, date(2026, 12, 15)).local_date == date(
        2026, 12, 21
    )
    assert next_occurrence(LONDON_MONDAYS, after, date(2026, 1, 1)).local_date == date(2026, 11, 30)
    keys = [o.key for o in upcoming(LONDON_MONDAYS, after, 2, resume_monday)]
    assert keys == ["2026-12-14", "2026-12-21"]


def test_paused_weeks_are_not_enqueued() -> None:
    paused_until = date(2026, 12, 14)
    found, following = due_occurrences(
        LONDON_MONDAYS, utc(2026, 11, 30, 18, 30), utc(2026, 12, 7, 20), paused_until
    )
    assert found is None
    assert following == utc(2026, 12, 14, 18, 30)


def test_the_resume_date_itself_is_enqueued() -> None:
    resume = utc(2026, 12, 14, 18, 30)
    found, _ = due_occurrences(LONDON_MONDAYS, resume, resume, date(2026, 12, 14))
    assert found == Occurrence(resume, date(2026, 12, 14))


def test_pause_is_by_local_date() -> None:
    # Monday 00:30 in Auckland is Sunday in UTC; the pause reads the Auckland date.
    rule = WeeklyRule("Pacific/Auckland", MON, time(0, 30))
    found = next_occurrence(rule, utc(2026, 11, 25), date(2026, 12, 7))
    assert found == Occurrence(utc(2026, 12, 6, 11, 30), date(2026, 12, 7))


# --- expiry, check-ins, nudges ---------------------------------------------------------------


def test_expiry_after_the_grace_window() -> None:
    due = utc(2026, 11, 30, 18, 30)
    assert not is_expired(due, due, DEBRIEF_GRACE)
    assert not is_expired(due, due + DEBRIEF_GRACE, DEBRIEF_GRACE)
    assert is_expired(due, due + DEBRIEF_GRACE + timedelta(seconds=1), DEBRIEF_GRACE)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/London", utc(2026, 11, 27, 18)),
        ("America/New_York", utc(2026, 11, 27, 23)),
        ("Asia/Kolkata", utc(2026, 11, 27, 12, 30)),
        ("Pacific/Kiritimati", utc(2026, 11, 27, 4)),
    ],
)
def test_checkin_at_six_in_the_evening_local(tz: str, expected: datetime) -> None:
    assert checkin_due(date(2026, 11, 27), tz) == expected


def test_checkin_time_can_be_chosen() -> None:
    assert checkin_due(date(2026, 11, 27), "Europe/London", time(9)) == utc(2026, 11, 27, 9)


@pytest.mark.parametrize(
    ("sent", "tz", "expected"),
    [
        (utc(2026, 11, 27, 10), None, utc(2026, 11, 27, 14)),
        (utc(2026, 11, 27, 10), "Europe/London", utc(2026, 11, 27, 14)),
        # 22:00 and 00:00 on the member's clock wait for 08:00.
        (utc(2026, 11, 27, 18), "Europe/London", utc(2026, 11, 28, 8)),
        (utc(2026, 11, 27, 20), "Europe/London", utc(2026, 11, 28, 8)),
        (utc(2026, 11, 27, 14), "America/New_York", utc(2026, 11, 27, 18)),
        (utc(2026, 11, 27, 23), "America/New_York", utc(2026, 11, 28, 13)),
    ],
)
def test_nudge_due(sent: datetime, tz: str | None, expected: datetime) -> None:
    assert nudge_due(sent, tz) == expected
    assert nudge_due(sent, tz) >= sent + NUDGE_AFTER


# --- properties ------------------------------------------------------------------------------

START = utc(2026, 1, 1)
END = START + timedelta(weeks=104)
TIMES = tuple(
    time(h, m) for h, m in ((0, 0), (0, 30), (1, 0), (1, 30), (2, 15), (2, 30), (3, 0), (23, 30))
)
ALL_ZONES = sorted(z for z in available_timezones() if is_valid_zone(z))


def assert_sent_at_the_right_instant(rule: WeeklyRule, occurrence: Occurrence) -> None:
    """The clock shows the chosen time then, or jumped over it exactly then, first time round."""
    chosen = datetime.combine(occurrence.local_date, rule.local_time)
    shown = wall(occurrence.due_utc, rule.tz)
    if shown != chosen:
        assert shown > chosen, (rule, occurrence)
        assert wall(occurrence.due_utc - timedelta(seconds=1), rule.tz) < chosen, (rule, occurrence)
    assert occurrence.due_utc.astimezone(rule.zone).fold == 0, (rule, occurrence)
    if shown.date() != occurrence.local_date:
        # Greenland springs forward at 23:00 on a Saturday: 23:30 goes at Sunday 00:00.
        assert shown == datetime.combine(occurrence.local_date + timedelta(days=1), time(0))
        assert shown.isocalendar()[:2] == occurrence.local_date.isocalendar()[:2]


def simulate(rule: WeeklyRule, rng: random.Random) -> list[Occurrence]:
    """Run a planner from START to END with idle ticks and late ticks; return what it sent."""
    now = START
    next_due = next_occurrence(rule, now).due_utc
    sent: list[Occurrence] = []
    while now < END:
        for _ in range(rng.randint(0, 2)):
            idle = now + (next_due - now) * rng.random()
            if idle < next_due:
                assert due_occurrences(rule, next_due, idle) == (None, next_due)
        late = rng.choice((timedelta(0), timedelta(minutes=rng.randint(1, 300))))
        now = next_due + late + rng.choice((timedelta(0), timedelta(hours=rng.randint(0, 72))))
        found, following = due_occurrences(rule, next_due, now)
        assert found is not None, (rule, now)
        assert following > now
        sent.append(found)
        next_due = following
    return sent


def transition_weekdays(tz: str) -> set[int]:
    """The local weekdays on which this zone changes its offset between START and END."""
    zone = ZoneInfo(tz)
    found: set[int] = set()
    day = START
    while day < END:
        later = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            low, high = day, later
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found |= {low.astimezone(zone).weekday(), high.astimezone(zone).weekday()}
        day = later
    return found


def test_every_zone_sends_once_a_week_on_the_chosen_day() -> None:
    """THE acceptance property.

    Every zone zoneinfo can load (aliases included), eight local times around midnight and
    the small hours, two years of weeks from 2026-01-01. Weekdays: those on which the zone
    changes offset in that span, so every DST night is crossed, plus one chosen by a
    seeded hash of the zone name; all seven weekdays for every zone took too long.
    """
    checked = 0
    for tz in ALL_ZONES:
        weekdays = transition_weekdays(tz) | {zlib.crc32(tz.encode()) % 7}
        for weekday in sorted(weekdays):
            for at in TIMES:
                rule = WeeklyRule(tz, weekday, at)
                sent = simulate(rule, random.Random(f"{tz} {weekday} {at}"))
                assert len(sent) >= 103, (rule, len(sent))
                assert len({o.key for o in sent}) == len(sent), rule
                assert all(a.due_utc < b.due_utc for a, b in pairwise(sent))
                assert all(o.local_date.weekday() == weekday for o in sent), rule
                assert all(
                    b.local_date - a.local_date == timedelta(weeks=1) for a, b in pairwise(sent)
                ), rule
                weeks = Counter(o.local_date.isocalendar()[:2] for o in sent)
                assert set(weeks.values()) == {1}, rule
                for occurrence in sent:
                    assert_sent_at_the_right_instant(rule, occurrence)
                checked += 1
    assert checked >= len(ALL_ZONES) * len(TIMES)


@settings(max_examples=500, deadline=None)
@given(
    tz=st.sampled_from(selectable_zones()),
    weekday=st.integers(0, 6),
    minute=st.integers(0, 24 * 60 - 1),
    start_minute=st.integers(0, 12 * 366 * 24 * 60),
    gaps=st.lists(st.integers(1, 24 * 40), min_size=1, max_size=40),
)
def test_any_ticks_send_the_latest_due_once(
    tz: str, weekday: int, minute: int, start_minute: int, gaps: list[int]
) -> None:
    """Ticks at any spacing, outages of weeks included: each tick sends exactly the latest
    occurrence since the previous tick if there was one, else nothing."""
    rule = WeeklyRule(tz, weekday, time(minute // 60, minute % 60))
    start = utc(2024, 1, 1) + timedelta(minutes=start_minute)
    next_due = next_occurrence(rule, start).due_utc
    previous, keys = start, set()
    for hours in gaps:
        now = previous + timedelta(hours=hours)
        found, following = due_occurrences(rule, next_due, now)
        was_due = next_occurrence(rule, previous).due_utc <= now
        assert (found is not None) == was_due
        if found is not None:
            assert previous < found.due_utc <= now
            assert next_occurrence(rule, found.due_utc).due_utc > now  # the latest, not older
            assert found.key not in keys
            assert found.local_date.weekday() == weekday
            assert_sent_at_the_right_instant(rule, found)
            keys.add(found.key)
        assert following > now
        assert following == next_occurrence(rule, now).due_utc
        previous, next_due = now, following


def test_stored_rule_reads_its_columns_and_still_validates() -> None:
    rule = WeeklyRule.stored("Europe/London", 4, "18:30")
    assert rule == WeeklyRule("Europe/London", 4, time(18, 30))
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        WeeklyRule.stored("Europe/London", 7, "18:30")
