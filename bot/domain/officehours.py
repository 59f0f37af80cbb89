"""Office hours, the pure parts: lengths of time, waits, the card, and the weekly figures."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_DURATION = timedelta(hours=1)
MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=8)
# Until a mentor has finished a few sessions, a wait is estimated with this length.
DEFAULT_SESSION = timedelta(minutes=10)
REMIND_BEFORE = timedelta(hours=1)
STATS_WINDOW = timedelta(days=7)
MAX_PREP = 1000  # characters in each prep answer
MESSAGE_LIMIT = 2000
GOAL_IN_QUEUE = 140  # characters of a goal shown in the mentor's queue list

_HOURS = r"(?:h|hr|hrs|hour|hours)"
_MINUTES = r"(?:m|min|mins|minute|minutes)"
_DURATION = re.compile(
    rf"^(?:(?P<h>\d{{1,2}})\s*{_HOURS}\s*(?:(?P<hm>\d{{1,3}})\s*{_MINUTES}?)?"
    rf"|(?P<m>\d{{1,3}})\s*{_MINUTES}?"
    r"|(?P<ch>\d{1,2}):(?P<cm>[0-5]\d))$",
    re.IGNORECASE,
)


class DurationError(ValueError):
    """A length of time that cannot be read or is out of range; the text is for the member."""


def parse_duration(text: str) -> timedelta:
    """Read '45m', '1h30', '1h 30m', '2 hours', '1:30' or a bare number of minutes."""
    cleaned = " ".join(text.strip().split())
    found = _DURATION.match(cleaned)
    if found is None:
        raise DurationError(
            f"I couldn't read '{text.strip()}' as a length of time. Try 45m, 1h30 or 90 (minutes)."
        )
    if found["h"] is not None:
        minutes = int(found["h"]) * 60 + int(found["hm"] or 0)
    elif found["m"] is not None:
        minutes = int(found["m"])
    else:
        minutes = int(found["ch"]) * 60 + int(found["cm"])
    duration = timedelta(minutes=minutes)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise DurationError(
            f"Office hours can last from {describe_length(MIN_DURATION)} to "
            f"{describe_length(MAX_DURATION)}; '{text.strip()}' is outside that."
        )
    return duration


def describe_length(length: timedelta) -> str:
    """Say a length in words: '45 minutes', '1 hour', '1 hour 30 minutes'."""
    minutes = max(0, math.ceil(length.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def average(lengths: Iterable[timedelta]) -> timedelta | None:
    """The mean of some lengths of time, or None when there are none."""
    found = list(lengths)
    if not found:
        return None
    return sum(found, timedelta()) / len(found)


def estimate_wait(ahead: int, session: timedelta | None, mentors: int = 1) -> timedelta:
    """How long until a member's turn: the people ahead, shared between the mentors seeing them."""
    if ahead < 0:
        raise ValueError("ahead must not be negative")
    length = session if session is not None and session > timedelta() else DEFAULT_SESSION
    rounds = math.ceil(ahead / max(1, mentors))
    return length * rounds


def describe_wait(wait: timedelta) -> str:
    """An estimated wait in words, rounded up to whole minutes."""
    if wait <= timedelta():
        return "you're next"
    return f"about {describe_length(wait)}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def place_text(place: int, waiting: int, wait: timedelta) -> str:
    """What a member is told about their place in the queue."""
    others = waiting - 1
    behind = f" ({others} other{'s' if others != 1 else ''} waiting)" if others > 0 else ""
    return (
        f"You're {ordinal(place)} in the queue{behind}. Estimated wait: {describe_wait(wait)}. "
        "I'll mention you in the channel when it's your turn."
    )


def timestamp(at: datetime, style: str = "t") -> str:
    """A Discord timestamp: every reader sees it on their own clock."""
    return f"<t:{int(at.timestamp())}:{style}>"


def people(n: int) -> str:
    """'1 person', '3 people', 'nobody'."""
    if n == 0:
        return "nobody"
    return "1 person" if n == 1 else f"{n} people"


@dataclass(frozen=True)
class Card:
    """What the office-hours card in the channel shows."""

    topic: str | None
    mentor: str | None
    closes_at: datetime
    waiting: int
    voice_channel_id: int | None = None
    closed: bool = False
    seen: int = 0


def card_text(card: Card) -> str:
    """The card's message: what, with whom, until when, and how many are waiting."""
    about = f": {card.topic}" if card.topic else ""
    if card.closed:
        seen = f" {people(card.seen).capitalize()} had a turn." if card.seen else ""
        return f"**Office hours{about}** have closed.{seen} Thank you for coming!"
    lines = [f"**Office hours are open{about}**"]
    if card.mentor:
        lines.append(f"Opened by {card.mentor}.")
    lines.append(f"Until {timestamp(card.closes_at)} ({timestamp(card.closes_at, 'R')}).")
    if card.voice_channel_id:
        lines.append(f"Sessions happen in <#{card.voice_channel_id}>.")
    waiting = "Nobody is waiting yet." if card.waiting == 0 else f"Waiting: {people(card.waiting)}."
    lines.append(waiting)
    lines.append(
        "Press **Join** to take a place in the queue: I'll ask what you'd like from the session "
        "so your mentor can prepare."
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Waiting:
    """One person in the queue, as a mentor sees it."""

    place: int
    name: str
    goal: str
    waited: timedelta


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def mentor_queue_text(waiting: Sequence[Waiting], with_mentors: Sequence[str]) -> str:
    """The queue with each member's goal, cut to fit one message."""
    lines = []
    if with_mentors:
        lines.append(f"With a mentor now: {', '.join(with_mentors)}.")
    if not waiting:
        lines.append("Nobody is waiting.")
        return "\n".join(lines)
    lines.append(f"Waiting: {people(len(waiting))}.")
    for n, row in enumerate(waiting):
        line = (
            f"{row.place}. **{_short(row.name, 40)}** (waiting {describe_length(row.waited)}): "
            f"{_short(row.goal, GOAL_IN_QUEUE)}"
        )
        more = f"…and {len(waiting) - n} more."
        if len("\n".join([*lines, line, more])) > MESSAGE_LIMIT:
            lines.append(more)
            break
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Prep:
    """What a member wrote when joining, and their commitments if they share them."""

    name: str
    goal: str
    tried: str | None
    waited: timedelta
    commitments: Sequence[str] | None  # None: the member keeps their progress private


def prep_text(prep: Prep) -> str:
    """What a mentor sees when taking the next member, in one message."""
    lines = [
        f"Next: **{_short(prep.name, 40)}**, who waited {describe_length(prep.waited)}.",
        f"**What they'd like from the session:** {_short(prep.goal, 600)}",
    ]
    if prep.tried:
        lines.append(f"**What they've tried:** {_short(prep.tried, 600)}")
    if prep.commitments is None:
        lines.append("They keep their commitments private.")
        return "\n".join(lines)
    if not prep.commitments:
        lines.append("They have no open commitments yet.")
        return "\n".join(lines)
    lines.append("**Their open commitments:**")
    shown = [f"• {_short(c, 120)}" for c in prep.commitments[:5]]
    for n, line in enumerate(shown):
        more = f"…and {len(prep.commitments) - n} more."
        if len("\n".join([*lines, line, more])) > MESSAGE_LIMIT:
            lines.append(more)
            break
        lines.append(line)
    else:
        if len(prep.commitments) > len(shown):
            lines.append(f"…and {len(prep.commitments) - len(shown)} more.")
    return "\n".join(lines)


@dataclass(frozen=True)
class Visit:
    """One member's place in a queue: when they joined, were taken, and were done."""

    member_id: int
    joined_at: datetime
    called_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class WeeklyStats:
    """A server's office hours over a week, for mentors."""

    office_hours: int
    sessions: int
    unique_members: int
    returning_members: int
    not_seen: int
    average_wait: timedelta | None
    average_session: timedelta | None


def weekly_stats(
    visits: Iterable[Visit], *, seen_before: set[int], office_hours: int
) -> WeeklyStats:
    """Sum up a week's visits; `seen_before` holds members who had a turn before the week.

    A visit counts as a session once a mentor took the member; one that ended without that
    (the member left, or office hours closed first) counts as not seen.
    """
    found = list(visits)
    seen = [v for v in found if v.called_at is not None]
    members = {v.member_id for v in seen}
    waits = [v.called_at - v.joined_at for v in seen if v.called_at is not None]
    lengths = [
        v.finished_at - v.called_at
        for v in seen
        if v.called_at is not None and v.finished_at is not None
    ]
    return WeeklyStats(
        office_hours=office_hours,
        sessions=len(seen),
        unique_members=len(members),
        returning_members=len(members & seen_before),
        not_seen=sum(1 for v in found if v.called_at is None and v.finished_at is not None),
        average_wait=average(waits),
        average_session=average(lengths),
    )


def stats_lines(stats: WeeklyStats) -> list[str]:
    """The week's figures in a few lines for the dashboard."""
    if stats.office_hours == 0 and stats.sessions == 0 and stats.not_seen == 0:
        return ["No office hours in the last 7 days."]
    lines = [
        f"Office hours held: {stats.office_hours}. Sessions with members: {stats.sessions}.",
        f"Members seen: {stats.unique_members} ({stats.returning_members} returning from an "
        "earlier week).",
    ]
    wait = describe_length(stats.average_wait) if stats.average_wait is not None else "none yet"
    length = (
        describe_length(stats.average_session) if stats.average_session is not None else "none yet"
    )
    lines.append(f"Average wait: {wait}. Average session: {length}.")
    if stats.not_seen:
        lines.append(f"Left or still waiting at closing: {stats.not_seen}.")
    return lines


def _about(topic: str | None) -> str:
    return f" ({_short(topic, 80)})" if topic else ""


def reminder_text(topic: str | None, opens_at: datetime, channel_id: int) -> str:
    """The DM an hour before scheduled office hours, to members who asked for it."""
    return (
        "-# Office hours reminder\n"
        f"Office hours{_about(topic)} open {timestamp(opens_at, 'R')}, at "
        f"{timestamp(opens_at)}, in <#{channel_id}>. "
        "What would you most like to get out of them?"
    )


def followup_text(mentor: str | None) -> str:
    """The DM after a member's turn, leading to their next step."""
    with_whom = f" with {_short(mentor, 40)}" if mentor else ""
    return (
        "-# After office hours\n"
        f"Thank you for coming to office hours{with_whom}. When you're ready, press "
        "**Plan my next step** to turn the session into one step with a date, and I'll check "
        "in with you on that day."
    )


def closed_text(topic: str | None, channel_id: int, next_opens: datetime | None) -> str:
    """The DM to someone still waiting when office hours close."""
    lines = [
        "-# Office hours",
        f"Office hours{_about(topic)} in <#{channel_id}> have closed before your turn came. "
        "I'm sorry you didn't get a turn this time.",
    ]
    if next_opens is not None:
        lines.append(
            f"The next ones open {timestamp(next_opens, 'F')}. `/officehours remind on` gets you "
            "a DM an hour before."
        )
    return "\n".join(lines)
