"""Read a due date out of a member's words, relative to their local today."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
}

_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MO = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"\d{1,3}|" + "|".join(sorted((re.escape(k) for k in NUMBER_WORDS), key=len, reverse=True))

_ISO = re.compile(r"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b")
_IN = re.compile(rf"\bin\s+({_NUM})\s+(day|week|month)s?\b")
_NEXT_WD = re.compile(rf"\bnext\s+({_WD})\b")
_WEEKDAY = re.compile(rf"\b({_WD})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MO})\b")
_MONTH_DAY = re.compile(rf"\b({_MO})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_THE_NTH = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_weekday(today: date, weekday: int) -> date:
    """The first such weekday strictly after today."""
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(today: date, month: int, day: int) -> date | None:
    """This year's date, or next year's once this year's has passed."""
    found = _safe_date(today.year, month, day)
    if found is not None and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


def parse_due(text: str, today: date) -> date | None:
    """Return the date a commitment is due by, or None when the words name none."""
    t = " ".join(text.lower().replace(",", " ").split())
    if m := _ISO.search(t):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DAY_MONTH.search(t):
        return _upcoming(today, MONTHS[m[2]], int(m[1]))
    if m := _MONTH_DAY.search(t):
        return _upcoming(today, MONTHS[m[1]], int(m[2]))
    if re.search(r"\bday after tomorrow\b", t):
        return today + timedelta(days=2)
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", t):
        return today + timedelta(days=1)
    if re.search(r"\b(today|tonight|end of (the )?day|eod)\b", t):
        return today
    if m := _IN.search(t):
        n, unit = _number(m[1]), m[2]
        if unit == "day":
            return today + timedelta(days=n)
        if unit == "week":
            return today + timedelta(weeks=n)
        return _add_months(today, n)
    if m := _NEXT_WD.search(t):
        this_monday = today - timedelta(days=today.weekday())
        return this_monday + timedelta(days=7 + WEEKDAYS[m[1]])
    if re.search(r"\bnext week\b", t):
        return today - timedelta(days=today.weekday()) + timedelta(days=11)
    if re.search(r"\b(end of (the )?month|month end)\b", t):
        return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    if re.search(r"\bnext month\b", t):
        return _add_months(today, 1)
    if re.search(r"\b(this week|end of (the )?week|week end)\b", t):
        return today + timedelta(
            days=(4 - today.weekday()) if today.weekday() <= 4 else 6 - today.weekday()
        )
    if re.search(r"\b(this weekend|the weekend|weekend)\b", t):
        return today if today.weekday() >= 5 else _next_weekday(today, 5)
    if m := _WEEKDAY.search(t):
        # "mar"/"sun"/"sat" are also words; a weekday needs a lead-in when it is short.
        word = m[1]
        if len(word) > 3 or re.search(rf"\b(by|on|before|until|till)\s+{word}\b", t):
            return _next_weekday(today, WEEKDAYS[word])
    if m := _THE_NTH.search(t):
        day = int(m[1])
        found = _safe_date(today.year, today.month, day)
        if found is None or found < today:
            following = _add_months(today.replace(day=1), 1)
            found = _safe_date(following.year, following.month, day)
        return found
    return None


def format_due(due: date, today: date | None = None) -> str:
    """Say a due date the way a person would: 'Friday 27 November'."""
    text = f"{calendar.day_name[due.weekday()]} {due.day} {calendar.month_name[due.month]}"
    if today is not None and due.year != today.year:
        text += f" {due.year}"
    return text


def member_zone(tz_name: str | None) -> tzinfo:
    """The member's time zone, UTC when unknown or invalid."""
    try:
        return ZoneInfo(tz_name) if tz_name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_now(now: datetime, tz_name: str | None) -> datetime:
    """This instant on the member's wall clock."""
    return now.astimezone(member_zone(tz_name))


def local_date(now: datetime, tz_name: str | None) -> date:
    """The member's calendar date at this instant."""
    return local_now(now, tz_name).date()
