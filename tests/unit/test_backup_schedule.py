"""Cron schedules: parsing, firing, the longest gap, and the sets the shell loop matches."""

from datetime import datetime, timedelta

import pytest

from dockyard.commands.backup_scripts import shell_sets
from dockyard.config.cron import parse_cron


@pytest.mark.parametrize(
    ("text", "gap"),
    [
        ("* * * * *", timedelta(minutes=1)),
        ("*/5 * * * *", timedelta(minutes=5)),
        ("0 3 * * *", timedelta(days=1)),
        ("30 2 * * 1-5", timedelta(days=3)),  # Friday to Monday
        ("0 0 * * 0", timedelta(days=7)),
        ("0 0 * * 7", timedelta(days=7)),  # 7 is Sunday too
        ("0 4 1 * *", timedelta(days=31)),
        ("0 12 1,15 * *", timedelta(days=17)),
    ],
)
def test_longest_gap(text: str, gap: timedelta) -> None:
    assert parse_cron(text).longest_gap() == gap


def test_restricted_day_fields_match_either_as_in_cron() -> None:
    schedule = parse_cron("0 0 13 * 5")  # the 13th, and every Friday
    assert schedule.fires_at(datetime(2026, 2, 13))  # a Friday the 13th
    assert schedule.fires_at(datetime(2026, 3, 13))  # a Friday... and the 13th
    assert schedule.fires_at(datetime(2026, 3, 6))  # a Friday
    assert schedule.fires_at(datetime(2026, 4, 13))  # a Monday, the 13th
    assert not schedule.fires_at(datetime(2026, 4, 14))


def test_ranges_steps_and_lists() -> None:
    schedule = parse_cron("5-20/5,59 */6 * 1-3 *")
    assert schedule.minutes == {5, 10, 15, 20, 59}
    assert schedule.hours == {0, 6, 12, 18}
    assert schedule.months == {1, 2, 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", "should have five fields"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("* 24 * * *", "hour: 24 is outside 0-23"),
        ("* * 0 * *", "day of month: 0 is outside 1-31"),
        ("* * * jan *", "month: 'jan' is not a number"),
        ("*/0 * * * *", "minute: a step should be at least 1"),
        ("10-5 * * * *", "minute: 10-5 runs backwards: write the lower number first"),
    ],
)
def test_bad_schedules_say_which_field(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(text)


def test_shell_sets_are_space_padded_for_case_matching() -> None:
    sets = shell_sets(parse_cron("*/20 3 * * 1,7"))
    assert sets["CRON_MINUTES"] == " 0 20 40 "
    assert sets["CRON_HOURS"] == " 3 "
    assert sets["CRON_WEEKDAYS"] == " 0 1 "
    assert sets["CRON_DAY_OR"] == "0"
    assert shell_sets(parse_cron("0 0 1 * 1"))["CRON_DAY_OR"] == "1"
