"""Cron schedules of jobs: seconds, @every, names, the next tick (in a time zone), and the
schedules backups refuse."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dockyard.config.cron import parse_cron


def at(*parts: int, tz: ZoneInfo | None = None) -> datetime:
    return datetime(*parts, tzinfo=tz or UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "after", "tick"),
    [
        ("*/5 * * * *", at(2026, 3, 1, 10, 2, 30), at(2026, 3, 1, 10, 5)),
        ("*/5 * * * *", at(2026, 3, 1, 10, 5), at(2026, 3, 1, 10, 10)),  # strictly after
        ("0 3 * * *", at(2026, 3, 1, 4, 0), at(2026, 3, 2, 3, 0)),
        ("*/10 * * * * *", at(2026, 3, 1, 10, 2, 30), at(2026, 3, 1, 10, 2, 40)),
        ("15,45 30 * * * *", at(2026, 3, 1, 10, 30, 50), at(2026, 3, 1, 11, 30, 15)),
        ("@every 10s", at(2026, 3, 1, 10, 2, 31), at(2026, 3, 1, 10, 2, 40)),
        ("@every 15m", at(2026, 3, 1, 10, 2, 31), at(2026, 3, 1, 10, 15)),
        ("@hourly", at(2026, 3, 1, 10, 0, 0), at(2026, 3, 1, 11, 0)),
        ("@daily", at(2026, 3, 1, 10, 0, 0), at(2026, 3, 2, 0, 0)),
        ("@weekly", at(2026, 3, 2, 10, 0, 0), at(2026, 3, 8, 0, 0)),  # the next Sunday
        ("@monthly", at(2026, 3, 2), at(2026, 4, 1)),
        ("@yearly", at(2026, 3, 2), at(2027, 1, 1)),
        ("0 0 29 2 *", at(2026, 3, 2), at(2028, 2, 29)),
    ],
)
def test_next_tick(text: str, after: datetime, tick: datetime) -> None:
    assert parse_cron(text, sub_minute=True).next_after(after) == tick


def test_next_tick_is_read_in_the_time_zone_given() -> None:
    paris = ZoneInfo("Europe/Paris")
    tick = parse_cron("0 3 * * *").next_after(at(2026, 7, 1, 12, tz=paris))
    assert tick == at(2026, 7, 2, 3, tz=paris)
    assert tick is not None and tick.astimezone(UTC).hour == 1


def test_a_schedule_that_never_comes_has_no_next_tick() -> None:
    assert parse_cron("0 0 30 2 *").next_after(at(2026, 1, 1)) is None


def test_every_fires_on_whole_multiples_since_the_epoch() -> None:
    schedule = parse_cron("@every 10s", sub_minute=True)
    assert schedule.every == 10
    assert schedule.fires_at(at(2026, 3, 1, 10, 2, 40))
    assert not schedule.fires_at(at(2026, 3, 1, 10, 2, 41))
    assert schedule.longest_gap() == timedelta(seconds=10)


def test_seconds_come_first_and_fire_only_on_their_second() -> None:
    schedule = parse_cron("30 */2 * * * *", sub_minute=True)
    assert schedule.seconds == {30}
    assert schedule.minutes == set(range(0, 60, 2))
    assert schedule.fires_at(at(2026, 3, 1, 10, 2, 30))
    assert not schedule.fires_at(at(2026, 3, 1, 10, 2, 0))
    assert schedule.longest_gap() == timedelta(minutes=2)


def test_names_are_their_five_fields() -> None:
    assert vars(parse_cron("@daily")) == {**vars(parse_cron("0 0 * * *")), "text": "@daily"}
    assert parse_cron("@HOURLY").minutes == {0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "* * * *",
            "should have five fields .minute hour day month weekday., six with the "
            "second first, or be @every 30s or a name like @hourly",
        ),
        ("60 * * * * *", "second: 60 is outside 0-59"),
        ("5-1 * * * *", "minute: 5-1 runs backwards: write the lower number first"),
        ("@every", "the names are @yearly, .* or @every 30s"),
        ("@every 10", "the names are"),
        ("@every 0s", "between 1s and 24h"),
        ("@every 25h", "between 1s and 24h"),
        ("@every 7s", "divide a day evenly"),
        ("@fortnightly", "the names are @yearly, @annually, @monthly, @weekly, @daily"),
    ],
)
def test_bad_job_schedules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(text, sub_minute=True)


@pytest.mark.parametrize("text", ["*/10 * * * * *", "@every 30s"])
def test_backups_take_minutes_only(text: str) -> None:
    with pytest.raises(ValueError, match=r"five fields|the names are"):
        parse_cron(text)
