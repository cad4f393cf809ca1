"""Cron schedules of backups (pure): parse the five fields, tell when one fires, and how far apart
firings can be (for the "last backup is older than its schedule allows" warning).

Fields: minute hour day-of-month month day-of-week, each `*`, `N`, `A-B`, `*/S`, `A-B/S` or a
comma list of those; day of week 0-7 (0 and 7 are Sunday); month and day names are not taken.
As in cron, when both day fields are restricted a day matches if either does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7))  # fmt: skip


@dataclass(frozen=True)
class CronSchedule:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def fires_at(self, when: datetime) -> bool:
        return when.minute in self.minutes and when.hour in self.hours and self.day_matches(when)

    def day_matches(self, when: datetime) -> bool:
        if when.month not in self.months:
            return False
        day_ok = when.day in self.days
        weekday_ok = (when.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def longest_gap(self, start: datetime | None = None) -> timedelta:
        """The longest time between two firings, looked at over a year from `start` (or over
        the first 2000 firings, for frequent schedules)."""
        day = (start or datetime(2026, 1, 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        end = day + timedelta(days=400)
        times = [(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]
        firings: list[datetime] = []
        while day < end and len(firings) < 2000:
            if self.day_matches(day):
                firings += [day.replace(hour=h, minute=m) for h, m in times]
            day += timedelta(days=1)
        if len(firings) < 2:
            return timedelta(days=366)
        return max(b - a for a, b in pairwise(firings))


def parse_cron(text: str) -> CronSchedule:
    """A schedule from five cron fields; ValueError says which field is wrong and why."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f'"{text}" should have five fields: minute hour day month weekday')
    sets = [_field(value, *spec) for value, spec in zip(fields, FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return CronSchedule(
        text=" ".join(fields),
        minutes=sets[0], hours=sets[1], days=sets[2], months=sets[3], weekdays=weekdays,
        days_restricted=fields[2] != "*", weekdays_restricted=fields[4] != "*",
    )  # fmt: skip


def _field(value: str, name: str, low: int, high: int) -> frozenset[int]:
    found: set[int] = set()
    for part in value.split(","):
        found |= _part(part, name, low, high)
    return frozenset(found)


def _part(part: str, name: str, low: int, high: int) -> set[int]:
    body, _, step_text = part.partition("/")
    step = _number(step_text, name) if step_text else 1
    if step < 1:
        raise ValueError(f"{name}: a step should be at least 1, not {step_text}")
    if body == "*":
        first, last = low, high
    elif "-" in body:
        a, _, b = body.partition("-")
        first, last = _number(a, name), _number(b, name)
    else:
        first = _number(body, name)
        last = high if step_text else first
    if not (low <= first <= high and low <= last <= high) or first > last:
        raise ValueError(f"{name}: {part} is outside {low}-{high}")
    return set(range(first, last + 1, step))


def _number(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{name}: {text!r} is not a number (names are not taken)")
    return int(text)
