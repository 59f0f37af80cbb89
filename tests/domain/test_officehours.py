"""Office hours, the pure parts: lengths, waits, the card, the queue text, the weekly figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import officehours as oh
from bot.domain.guard import check_turn

AT = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45m", 45),
        ("45 min", 45),
        ("90", 90),
        ("1h", 60),
        ("1h30", 90),
        ("1h 30m", 90),
        ("2 hours", 120),
        ("1 hour 15 minutes", 75),
        ("1:45", 105),
        (" 1H30M ", 90),
        ("10", 10),
        ("8h", 480),
    ],
)
def test_durations_are_read_in_the_usual_ways(text: str, minutes: int) -> None:
    assert oh.parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "1.5h", "h30", "-20", "90s", "1:75", "2 days"])
def test_unreadable_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(oh.DurationError, match="Try 45m, 1h30 or 90"):
        oh.parse_duration(text)


@pytest.mark.parametrize("text", ["5", "9m", "8h01", "9h", "600"])
def test_durations_out_of_range_are_refused_with_the_range(text: str) -> None:
    with pytest.raises(oh.DurationError, match="from 10 minutes to 8 hours"):
        oh.parse_duration(text)


def test_lengths_in_words() -> None:
    assert oh.describe_length(timedelta(minutes=45)) == "45 minutes"
    assert oh.describe_length(timedelta(hours=1)) == "1 hour"
    assert oh.describe_length(timedelta(minutes=61)) == "1 hour 1 minute"
    assert oh.describe_length(timedelta(hours=2, minutes=30)) == "2 hours 30 minutes"
    assert oh.describe_length(timedelta(seconds=61)) == "2 minutes"  # rounded up
    assert oh.describe_length(timedelta(0)) == "0 minutes"


def test_the_wait_is_the_people_ahead_shared_between_mentors() -> None:
    assert oh.estimate_wait(0, 20 * MIN) == timedelta(0)
    assert oh.estimate_wait(3, 20 * MIN) == 60 * MIN
    assert oh.estimate_wait(3, 20 * MIN, mentors=2) == 40 * MIN  # two rounds of two
    assert oh.estimate_wait(4, 20 * MIN, mentors=2) == 40 * MIN
    assert oh.estimate_wait(2, None) == 2 * oh.DEFAULT_SESSION
    assert oh.estimate_wait(2, timedelta(0), mentors=0) == 2 * oh.DEFAULT_SESSION
    with pytest.raises(ValueError, match="negative"):
        oh.estimate_wait(-1, MIN)


def test_average_and_wait_in_words() -> None:
    assert oh.average([]) is None
    assert oh.average([10 * MIN, 20 * MIN, 36 * MIN]) == 22 * MIN
    assert oh.describe_wait(timedelta(0)) == "you're next"
    assert oh.describe_wait(95 * MIN) == "about 1 hour 35 minutes"


def test_places_in_words() -> None:
    assert [oh.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd", "111th",
    ]  # fmt: skip
    assert oh.place_text(1, 1, timedelta(0)) == (
        "You're 1st in the queue. Estimated wait: you're next. "
        "I'll mention you in the channel when it's your turn."
    )
    assert "You're 2nd in the queue (1 other waiting). Estimated wait: about 10 minutes." in (
        oh.place_text(2, 2, 10 * MIN)
    )
    assert "(4 others waiting)" in oh.place_text(5, 5, 40 * MIN)


def test_the_open_card_says_what_with_whom_until_when_and_who_waits() -> None:
    card = oh.Card(topic="Interview prep", mentor="Morgan", closes_at=AT, waiting=0)
    text = oh.card_text(card)
    stamp = int(AT.timestamp())
    assert text.splitlines()[0] == "**Office hours are open: Interview prep**"
    assert "Opened by Morgan." in text
    assert f"Until <t:{stamp}:t> (<t:{stamp}:R>)." in text
    assert "Nobody is waiting yet." in text
    assert "<#" not in text
    busy = oh.card_text(oh.Card(None, None, AT, waiting=3, voice_channel_id=42))
    assert busy.splitlines()[0] == "**Office hours are open**"
    assert "Waiting: 3 people." in busy
    assert "Sessions happen in <#42>." in busy
    assert "Opened by" not in busy
    assert "Waiting: 1 person." in oh.card_text(oh.Card(None, None, AT, waiting=1))


def test_the_closed_card_thanks_and_counts() -> None:
    closed = oh.card_text(oh.Card("CVs", "Morgan", AT, waiting=2, closed=True, seen=4))
    assert closed == "**Office hours: CVs** have closed. 4 people had a turn. Thank you for coming!"
    quiet = oh.card_text(oh.Card(None, None, AT, waiting=0, closed=True))
    assert quiet == "**Office hours** have closed. Thank you for coming!"


def test_the_mentor_queue_lists_goals_in_order_and_fits_one_message() -> None:
    rows = [oh.Waiting(1, "Ana", "practise   the salary\ntalk", 12 * MIN)]
    text = oh.mentor_queue_text(rows, ["Bo"])
    assert text.splitlines() == [
        "With a mentor now: Bo.",
        "Waiting: 1 person.",
        "1. **Ana** (waiting 12 minutes): practise the salary talk",
    ]
    assert oh.mentor_queue_text([], []) == "Nobody is waiting."
    many = [oh.Waiting(n, f"member{n}", "x" * 500, MIN) for n in range(1, 101)]
    long = oh.mentor_queue_text(many, [])
    assert len(long) <= oh.MESSAGE_LIMIT
    assert long.splitlines()[-1].endswith("more.")
    shown = sum(1 for line in long.splitlines() if line.startswith(tuple("0123456789")))
    assert long.splitlines()[-1] == f"…and {100 - shown} more."
    assert "x" * oh.GOAL_IN_QUEUE not in long  # goals are shortened


def test_prep_shows_goal_tried_and_commitments_or_their_privacy() -> None:
    prep = oh.Prep("Ana", "a plan for my promotion case", "wrote a brag doc", 7 * MIN, ["ship X"])
    text = oh.prep_text(prep)
    assert text.splitlines() == [
        "Next: **Ana**, who waited 7 minutes.",
        "**What they'd like from the session:** a plan for my promotion case",
        "**What they've tried:** wrote a brag doc",
        "**Their open commitments:**",
        "• ship X",
    ]
    private = oh.prep_text(oh.Prep("Bo", "g", None, MIN, None))
    assert "They keep their commitments private." in private
    assert "tried" not in private
    assert "no open commitments yet" in oh.prep_text(oh.Prep("Cy", "g", None, MIN, []))
    huge = oh.prep_text(oh.Prep("D" * 90, "g" * 5000, "t" * 5000, MIN, ["c" * 500] * 9))
    assert len(huge) <= oh.MESSAGE_LIMIT
    assert huge.count("• ") == 5
    assert huge.endswith("…and 4 more.")


def visit(member: int, joined: int, called: int | None, finished: int | None) -> oh.Visit:
    def at(minute: int | None) -> datetime | None:
        return None if minute is None else AT + minute * MIN

    joined_at = at(joined)
    assert joined_at is not None
    return oh.Visit(member, joined_at, at(called), at(finished))


def test_weekly_stats() -> None:
    visits = [
        visit(1, 0, 5, 25),  # waited 5, 20 long
        visit(2, 0, 15, 45),  # waited 15, 30 long
        visit(1, 60, 70, None),  # Alice again, with a mentor now: counts, not yet timed
        visit(3, 0, None, 30),  # left
        visit(4, 90, None, None),  # still waiting: neither seen nor gone
    ]
    stats = oh.weekly_stats(visits, seen_before={2, 9}, office_hours=2)
    assert stats == oh.WeeklyStats(
        office_hours=2,
        sessions=3,
        unique_members=2,
        returning_members=1,
        not_seen=1,
        average_wait=10 * MIN,
        average_session=25 * MIN,
    )
    empty = oh.weekly_stats([], seen_before=set(), office_hours=0)
    assert (empty.sessions, empty.average_wait, empty.average_session) == (0, None, None)


def test_stats_lines() -> None:
    stats = oh.WeeklyStats(2, 3, 2, 1, 1, 10 * MIN, 25 * MIN)
    assert oh.stats_lines(stats) == [
        "Office hours held: 2. Sessions with members: 3.",
        "Members seen: 2 (1 returning from an earlier week).",
        "Average wait: 10 minutes. Average session: 25 minutes.",
        "Left or still waiting at closing: 1.",
    ]
    none = oh.WeeklyStats(0, 0, 0, 0, 0, None, None)
    assert oh.stats_lines(none) == ["No office hours in the last 7 days."]
    untimed = oh.stats_lines(oh.WeeklyStats(1, 0, 0, 0, 0, None, None))
    assert "Average wait: none yet. Average session: none yet." in untimed


def test_the_dms_are_kind_plain_and_ask_at_most_one_open_question() -> None:
    reminder = oh.reminder_text("System design", AT, 55)
    assert f"open <t:{int(AT.timestamp())}:R>" in reminder
    assert "<#55>" in reminder
    body = reminder.split("\n", 1)[1]
    assert check_turn(body) == []
    assert body.endswith("?")
    assert body.count("?") == 1
    followup = oh.followup_text("Morgan")
    assert "with Morgan" in followup
    assert "**Plan my next step**" in followup
    assert "with" not in oh.followup_text(None).split("office hours")[1].split(".")[0]
    closed = oh.closed_text(None, 55, AT + timedelta(weeks=1))
    assert "I'm sorry you didn't get a turn this time." in closed
    assert "`/officehours remind on`" in closed
    assert "next ones" not in oh.closed_text(None, 55, None)
    for text in (followup, closed):
        assert check_turn(text.split("\n", 1)[1]) == []
