"""Cron schedules (pure): parse them, tell when one fires, the next tick after a time, and how
far apart firings can be (for the "last backup is older than its schedule allows" warning).

Fields: minute hour day-of-month month day-of-week, each `*`, `N`, `A-B`, `*/S`, `A-B/S` or a
comma list of those; day of week 0-7 (0 and 7 are Sunday); month and day names are not taken.
As in cron, when both day fields are restricted a day matches if either does.

Scheduled jobs (`x-dockyard/cron`, `sub_minute=True`) also take a sixth field in front, the
second (0-59), `@every N` with s, m or h (ticks at whole multiples of N since the epoch, so
every scheduler computes the same ticks), and the names @yearly (@annually), @monthly,
@weekly, @daily (@midnight) and @hourly. Backups take the five fields and the names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7))  # fmt: skip
SECOND = ("second", 0, 59)
NAMES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}  # fmt: skip
_EVERY = re.compile(r"\A@every\s+(\d+)([smh])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600}
_SEARCH_DAYS = 366 * 8  # a leap day on a given weekday can be years away


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
    seconds: frozenset[int] = frozenset({0})
    every: int | None = None  # @every: seconds between ticks, counted from the epoch

    def fires_at(self, when: datetime) -> bool:
        if self.every is not None:
            return int(when.timestamp()) % self.every == 0 and when.microsecond == 0
        return (when.second in self.seconds and when.minute in self.minutes
                and when.hour in self.hours and self.day_matches(when))  # fmt: skip

    def day_matches(self, when: datetime) -> bool:
        if when.month not in self.months:
            return False
        day_ok = when.day in self.days
        weekday_ok = (when.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def next_after(self, when: datetime) -> datetime | None:
        """The first tick strictly after `when`, as wall-clock time in `when`'s time zone; None
        if there is none in eight years (the 30th of February)."""
        if self.every is not None:
            stamp = (int(when.timestamp()) // self.every + 1) * self.every
            return datetime.fromtimestamp(stamp, when.tzinfo)
        start = when.replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(_SEARCH_DAYS):
            if self.day_matches(day):
                tick = self._first_in_day(day, start)
                if tick is not None:
                    return tick
            day = (day + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        return None

    def _first_in_day(self, day: datetime, start: datetime) -> datetime | None:
        for hour in sorted(h for h in self.hours if day.date() > start.date() or h >= start.hour):
            for minute in sorted(self.minutes):
                for second in sorted(self.seconds):
                    tick = day.replace(hour=hour, minute=minute, second=second)
                    if tick >= start:
                        return tick
        return None

    def longest_gap(self, start: datetime | None = None) -> timedelta:
        """The longest time between two firings, looked at over a year from `start` (or over
        the first 2000 firings, for frequent schedules)."""
        if self.every is not None:
            return timedelta(seconds=self.every)
        day = (start or datetime(2026, 1, 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        end = day + timedelta(days=400)
        times = [(h, m, s) for h in sorted(self.hours) for m in sorted(self.minutes)
                 for s in sorted(self.seconds)]  # fmt: skip
        firings: list[datetime] = []
        while day < end and len(firings) < 2000:
            if self.day_matches(day):
                firings += [day.replace(hour=h, minute=m, second=s) for h, m, s in times]
            day += timedelta(days=1)
        if len(firings) < 2:
            return timedelta(days=366)
        return max(b - a for a, b in pairwise(firings))


def parse_cron(text: str, *, sub_minute: bool = False) -> CronSchedule:
    """A schedule from five cron fields or a name (and with `sub_minute`, six fields or
    @every); ValueError says which field is wrong and why."""
    named = NAMES.get(text.strip().lower())
    if text.strip().startswith("@") and named is None:
        return _every(text, sub_minute)
    fields = (named or text).split()
    seconds = frozenset({0})
    if sub_minute and len(fields) == 6:
        seconds = _field(fields[0], *SECOND)
        fields = fields[1:]
    if len(fields) != 5:
        raise ValueError(_shape_error(text, sub_minute))
    sets = [_field(value, *spec) for value, spec in zip(fields, FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return CronSchedule(
        text=" ".join(text.split()),
        minutes=sets[0], hours=sets[1], days=sets[2], months=sets[3], weekdays=weekdays,
        days_restricted=fields[2] != "*", weekdays_restricted=fields[4] != "*", seconds=seconds,
    )  # fmt: skip


def _shape_error(text: str, sub_minute: bool) -> str:
    if sub_minute:
        return (f'"{text}" should have five fields (minute hour day month weekday), six with '
                "the second first, or be @every 30s or a name like @hourly")  # fmt: skip
    return f'"{text}" should have five fields: minute hour day month weekday'


def _every(text: str, sub_minute: bool) -> CronSchedule:
    names = ", ".join(NAMES)
    match = _EVERY.match(text.strip())
    if match is None or not sub_minute:
        extra = " or @every 30s (s, m or h)" if sub_minute else ""
        raise ValueError(f'"{text}": the names are {names}{extra}')
    every = int(match[1]) * _UNITS[match[2]]
    if not 1 <= every <= 86400:
        raise ValueError(f'"{text}": @every should be between 1s and 24h')
    if 86400 % every:
        raise ValueError(f'"{text}": @every should divide a day evenly (like 10s, 15m, 2h)')
    everything = frozenset(range(60))
    return CronSchedule(
        text=" ".join(text.split()), minutes=everything, hours=frozenset(range(24)),
        days=frozenset(range(1, 32)), months=frozenset(range(1, 13)),
        weekdays=frozenset(range(7)), days_restricted=False, weekdays_restricted=False,
        seconds=everything, every=every,
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
    if not (low <= first <= high and low <= last <= high):
        raise ValueError(f"{name}: {part} is outside {low}-{high}")
    if first > last:
        raise ValueError(f"{name}: {part} runs backwards: write the lower number first")
    return set(range(first, last + 1, step))


def _number(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{name}: {text!r} is not a number (names are not taken)")
    return int(text)
