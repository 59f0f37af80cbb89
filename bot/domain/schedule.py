"""Weekly send times on a member's wall clock: DST gaps and folds, pauses, missed weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.domain.timezones import load_zone

DEBRIEF_GRACE = timedelta(hours=6)  # later than this, the debrief would land in the night
CHECKIN_TIME = time(18, 0)  # end of the working day, when "did it happen?" has an answer
CHECKIN_GRACE = timedelta(hours=6)  # 18:00 + 6 h: nothing after midnight
NUDGE_AFTER = timedelta(hours=4)
QUIET_START, QUIET_END = time(21, 0), time(8, 0)  # a nudge waits for the morning
# A stored next_due may sit this far off the rule after a tz database update moved it.
RULE_DRIFT = timedelta(days=1)
# Dates are searched this far around an instant: a clock set back over midnight shows a date
# again (Sitka in 1867 repeated a whole day).
_SLACK = timedelta(days=2)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def _aware(value: datetime, name: str) -> datetime:
    """Refuse naive datetimes: comparing them with UTC instants would raise later, or lie."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value


def _zone(zone: tzinfo | str) -> tzinfo:
    return load_zone(zone) if isinstance(zone, str) else zone


@dataclass(frozen=True)
class WeeklyRule:
    """Once a week on `weekday` (0 is Monday) at `local_time` on the clock of zone `tz`."""

    tz: str
    weekday: int
    local_time: time

    @classmethod
    def stored(cls, tz: str, weekday: int, local_time: str) -> WeeklyRule:
        """Rebuild a rule from its stored columns ("HH:MM" wall-clock time)."""
        return cls(tz, weekday, time.fromisoformat(local_time))

    def __post_init__(self) -> None:
        load_zone(self.tz)
        if type(self.weekday) is not int or not 0 <= self.weekday <= 6:
            raise ValueError("The day must be 0 (Monday) to 6 (Sunday).")
        if self.local_time.tzinfo is not None:
            raise ValueError("The time must be a wall-clock time, without a zone.")
        if self.local_time.second or self.local_time.microsecond:
            raise ValueError("The time must be whole minutes, like 18:30.")

    @property
    def zone(self) -> tzinfo:
        """Return the rule's zone."""
        return load_zone(self.tz)


@dataclass(frozen=True)
class Occurrence:
    """One send: when it is due, and the local date it belongs to."""

    due_utc: datetime
    local_date: date

    @property
    def key(self) -> str:
        """Return the outbox occurrence key: the local date, so one send per date at most."""
        return self.local_date.isoformat()


def resolve_local(day: date, at: time, zone: tzinfo | str) -> datetime:
    """Return, in UTC, the instant the clock in `zone` first shows `at` on `day`.

    A time the clock skips (a spring-forward gap) resolves to the first instant after the
    gap; a time the clock shows twice (an autumn fold) resolves to its first showing.
    """
    tz = _zone(zone)
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc  # fold=0 is the earlier offset, so in a fold this is the first showing
    # In a gap both folds give instants on either side of the jump; the jump lies between.
    other = first.replace(fold=1).astimezone(UTC)
    before, after = min(utc, other), max(utc, other)
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        mid = (low + high) // 2
        if (before + timedelta(seconds=mid)).astimezone(tz).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return before + timedelta(seconds=high)


def _on(rule: WeeklyRule, day: date, tz: tzinfo) -> Occurrence:
    return Occurrence(resolve_local(day, rule.local_time, tz), day)


def next_occurrence(
    rule: WeeklyRule, after: datetime, paused_until: date | None = None
) -> Occurrence:
    """Return the first occurrence strictly after `after`.

    `paused_until` is the local date sending resumes: occurrences whose local date is
    earlier are skipped, one on that very date is sent.
    """
    tz = rule.zone
    start = _aware(after, "after").astimezone(tz).date() - _SLACK
    if paused_until is not None and paused_until > start:
        start = paused_until
    day = start + timedelta(days=(rule.weekday - start.weekday()) % 7)
    while True:
        found = _on(rule, day, tz)
        if found.due_utc > after:
            return found
        day += timedelta(weeks=1)


def upcoming(
    rule: WeeklyRule, after: datetime, count: int = 3, paused_until: date | None = None
) -> list[Occurrence]:
    """Return the next `count` occurrences after `after`, for the member's confirmation."""
    if count < 0:
        raise ValueError("count must not be negative")
    found: list[Occurrence] = []
    while len(found) < count:
        found.append(next_occurrence(rule, found[-1].due_utc if found else after, paused_until))
    return found


def latest_occurrence(rule: WeeklyRule, at: datetime) -> Occurrence:
    """Return the last occurrence due at or before `at`, pauses aside."""
    tz = rule.zone
    end = _aware(at, "at").astimezone(tz).date() + _SLACK
    day = end - timedelta(days=(end.weekday() - rule.weekday) % 7)
    while True:
        found = _on(rule, day, tz)
        if found.due_utc <= at:
            return found
        day -= timedelta(weeks=1)


def due_occurrences(
    rule: WeeklyRule, next_due_utc: datetime, now: datetime, paused_until: date | None = None
) -> tuple[Occurrence | None, datetime]:
    """Return what a planner tick at `now` enqueues, and the schedule's new next_due_utc.

    Nothing is due before `next_due_utc`. Once it has passed, the latest occurrence due by
    now is enqueued, alone: weeks missed while the bot was down merge into that one send.
    """
    _aware(next_due_utc, "next_due_utc")
    if next_due_utc > _aware(now, "now"):
        return None, next_due_utc
    following = next_occurrence(rule, now, paused_until).due_utc
    latest = latest_occurrence(rule, now)
    if latest.due_utc < next_due_utc - RULE_DRIFT:
        return None, following  # the week due at next_due_utc was already sent
    if paused_until is not None and latest.local_date < paused_until:
        return None, following
    return latest, following


def is_expired(due_utc: datetime, now: datetime, grace: timedelta) -> bool:
    """Say whether a send due at `due_utc` is too late to go out at `now`."""
    return _aware(now, "now") > _aware(due_utc, "due_utc") + grace


def checkin_due(due_date: date, tz: tzinfo | str, at: time = CHECKIN_TIME) -> datetime:
    """Return the UTC instant a commitment due on `due_date` gets its check-in."""
    return resolve_local(due_date, at, tz)


def nudge_due(sent_at: datetime, tz: tzinfo | str | None = None) -> datetime:
    """Return when to nudge about a debrief sent at `sent_at`; in `tz`, never at night."""
    due = _aware(sent_at, "sent_at") + NUDGE_AFTER
    if tz is None:
        return due
    zone = _zone(tz)
    local = due.astimezone(zone)
    if QUIET_END <= local.time() < QUIET_START:
        return due
    morning = local.date() + timedelta(days=1 if local.time() >= QUIET_START else 0)
    return resolve_local(morning, QUIET_END, zone)


def format_local(dt_utc: datetime, tz: str) -> str:
    """Say an instant on the member's clock: 'Monday 30 November, 18:30 (Europe/London)'."""
    local = _aware(dt_utc, "dt_utc").astimezone(load_zone(tz))
    day, month = _DAYS[local.weekday()], _MONTHS[local.month - 1]
    return f"{day} {local.day} {month}, {local:%H:%M} ({tz})"
