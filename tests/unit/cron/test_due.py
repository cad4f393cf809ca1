"""The scheduler's idle loop: `due`, its shell test of whether a job may have a tick in the
seconds a pass looks at, run under dash and busybox sh and compared with the schedule parser
(`CronSchedule.fires_at`) second by second; `clock`; and the real scheduler left idle (it
writes nothing) and given a job while idle."""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dockyard.commands.cron_scripts import DUE_SH, FIELDS, job_file, job_settings
from dockyard.config.cron import parse_cron
from tests.unit.cron.harness import CronDir

SHELLS = [["dash"], ["busybox", "sh"]]
DRIVER = f"""set -u
{DUE_SH}
while read -r last now; do
  utc=$(date -u -d "@$now" +'{FIELDS}')
  if due jobs/job.job "$last" "$now"; then echo 1; else echo 0; fi
done
"""


def at(text: str, zone: str = "UTC") -> int:
    """The epoch second of a wall-clock time (2026-03-08T07:00:00) in a zone."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp())


class Due:
    """`due` for one job, in a shell: whether it may have a tick in each (last, now]."""

    def __init__(self, root: Path, shell: list[str], schedule: str, zone: str = "UTC") -> None:
        self.root, self.shell, self.zone = root, shell, zone
        self.schedule = parse_cron(schedule, sub_minute=True)
        (root / "jobs").mkdir(exist_ok=True)
        settings = job_settings(
            self.schedule, role="web", zone=zone, concurrency="forbid", timeout=None,
            catch_up=None, run_args="", command="true",
        )  # fmt: skip
        (root / "jobs" / "job.job").write_text(job_file(settings))

    def ranges(self, pairs: list[tuple[int, int]], env: dict[str, str] | None = None) -> list[bool]:
        lines = "".join(f"{last} {now}\n" for last, now in pairs)
        out = subprocess.run(
            [*self.shell, "-c", DRIVER], input=lines, text=True, cwd=self.root, env=env,
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        return [line == "1" for line in out.splitlines()]

    def seconds(self, first: int, count: int) -> list[bool]:
        """Each second alone, as the loop looks at them when it keeps up."""
        return self.ranges([(s - 1, s) for s in range(first, first + count)])

    def fires(self, second: int) -> bool:
        return self.schedule.fires_at(datetime.fromtimestamp(second, ZoneInfo(self.zone)))


@pytest.fixture(params=SHELLS, ids=lambda shell: shell[0])
def shell(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def expected(due: Due, first: int, count: int) -> list[bool]:
    return [due.fires(s) for s in range(first, first + count)]


def test_every_is_due_at_the_multiples_of_its_interval(tmp_path: Path, shell: list[str]) -> None:
    start = at("2026-03-01T10:14:50")
    for schedule, step in (("@every 10s", 10), ("@every 15m", 900), ("@every 1s", 1)):
        due = Due(tmp_path, shell, schedule)
        found = due.seconds(start, 25)
        assert found == [s % step == 0 for s in range(start, start + 25)], schedule
        assert found == expected(due, start, 25)
    # a pass that looks at several seconds: due when one of them is a multiple
    due = Due(tmp_path, shell, "@every 15m")
    quarter = at("2026-03-01T10:15:00")
    pairs = [(quarter - 3, quarter), (quarter - 1, quarter + 40), (quarter, quarter + 899),
             (quarter + 1, quarter + 900), (quarter - 900, quarter - 1)]  # fmt: skip
    assert due.ranges(pairs) == [True, True, False, True, False]


def test_five_fields_are_due_only_at_second_zero_of_a_matching_minute(
    tmp_path: Path, shell: list[str]
) -> None:
    due = Due(tmp_path, shell, "*/2 * * * *")
    start = at("2026-03-01T10:01:55")
    found = due.seconds(start, 190)
    assert found == expected(due, start, 190)
    assert [s for s, hit in zip(range(start, start + 190), found, strict=True) if hit] == [
        at("2026-03-01T10:02:00"), at("2026-03-01T10:04:00"),
    ]  # fmt: skip


@pytest.mark.parametrize("schedule", ["*/15 * * * * *", "10,20 */3 * * * *", "* 5 10 * * *"])
def test_a_seconds_field_is_looked_at_every_second(
    tmp_path: Path, shell: list[str], schedule: str
) -> None:
    due = Due(tmp_path, shell, schedule)
    start = at("2026-03-01T10:04:50")
    found = due.seconds(start, 200)
    assert found == expected(due, start, 200)
    assert any(found)


def test_a_pass_over_several_seconds_misses_no_tick_across_a_minute_boundary(
    tmp_path: Path, shell: list[str]
) -> None:
    """A late pass looks at (last, now]: due whenever one of those seconds has a tick, and
    exactly then while they lie in one minute."""
    rng = random.Random(7)
    for schedule in ("0 5 * * *", "* * * * *", "30 */2 * * * *", "@every 45s", "7 6 * * 2"):
        due = Due(tmp_path, shell, schedule)
        base = at("2026-03-03T05:58:00")
        pairs = [(base + 60 * k - 2, base + 60 * k + 1) for k in range(4)]
        pairs += [(last, last + rng.randint(1, 130)) for last in
                  (base + rng.randint(0, 600) for _ in range(150))]  # fmt: skip
        for (last, now), hit in zip(pairs, due.ranges(pairs), strict=True):
            ticks = [s for s in range(last + 1, now + 1) if due.fires(s)]
            assert hit or not ticks, f"{schedule}: ({last}, {now}] has {ticks}, not due"
            if (last + 1) // 60 == now // 60 or due.schedule.every:
                assert hit == bool(ticks), f"{schedule}: ({last}, {now}]"


@pytest.mark.parametrize(
    ("schedule", "zone", "start"),
    [
        ("0 * * * *", "Asia/Kolkata", "2026-03-01T10:29:30+00:00"),  # UTC+5:30: at UTC's :30
        ("30 2 * * *", "America/New_York", "2026-03-08T06:29:00+00:00"),  # 02:30 is skipped
        ("30 1 * * *", "America/New_York", "2026-11-01T05:29:00+00:00"),  # 01:30 comes twice
        ("0 0 * * 0", "Pacific/Chatham", "2026-03-07T10:14:00+00:00"),  # UTC+13:45, Sunday
    ],
)
def test_the_fields_are_read_in_the_jobs_zone(
    tmp_path: Path, shell: list[str], schedule: str, zone: str, start: str
) -> None:
    due = Due(tmp_path, shell, schedule, zone)
    first = int(datetime.fromisoformat(start).timestamp())
    count = 3700 if "11-01" in start else 150
    found = due.seconds(first, count)
    assert found == expected(due, first, count)
    hits = [s for s, hit in zip(range(first, first + count), found, strict=True) if hit]
    if "03-08" in start:
        assert hits == []  # 02:30 New York time does not exist that day
    elif "11-01" in start:
        assert hits == [at("2026-11-01T05:30:00"), at("2026-11-01T06:30:00")]
    else:
        assert len(hits) == 1 and datetime.fromtimestamp(hits[0], UTC).minute in (30, 15)


def test_a_zones_fields_are_read_once_a_minute_and_never_for_every(tmp_path: Path) -> None:
    """The one process `due` may start: `date` for a job in another zone than UTC, once per
    minute, and only at a second its seconds field holds (dash: a `date` on PATH counts)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "date.log"
    (bin_dir / "date").write_text(
        f'#!/bin/sh\ncase $1 in -u) ;; *) echo "$*" >> {log} ;; esac\nexec /usr/bin/date "$@"\n'
    )
    (bin_dir / "date").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    start = at("2026-03-01T10:00:30")
    steps = [(s - 1, s) for s in range(start, start + 180)]  # 10:01-10:03 start in it
    for schedule, calls in (("* * * * *", 3), ("*/20 * * * * *", 4), ("@every 10s", 0),
                            ("0 3 * * *", 3)):  # fmt: skip
        log.unlink(missing_ok=True)
        due = Due(tmp_path, ["dash"], schedule, "Europe/Paris")
        found = due.ranges(steps, env)
        assert found == [due.fires(s) for _, s in steps]
        lines = log.read_text().splitlines() if log.exists() else []
        assert len(lines) == calls, (schedule, lines)


def test_clock_reads_the_second_its_milliseconds_and_its_utc_fields(shell: list[str]) -> None:
    script = f'set -u\n{DUE_SH}\nclock && echo "$now $ms $utc"'
    before = int(time.time())
    out = subprocess.run([*shell, "-c", script], capture_output=True, text=True, check=True)
    now, ms, *fields = (int(word) for word in out.stdout.split())
    assert before <= now <= time.time()
    assert 0 <= ms <= 999  # busybox's date has no %N: 0, the loop then sleeps a whole second
    when = datetime.fromtimestamp(now, UTC)
    assert fields == [when.minute, when.hour, when.day, when.month, when.isoweekday() % 7]


@pytest.fixture
def cron(tmp_path: Path) -> Iterator[CronDir]:
    found = CronDir(tmp_path)
    yield found
    found.close()


def test_an_idle_scheduler_writes_nothing_and_still_looks_at_every_second(cron: CronDir) -> None:
    away = (datetime.now(UTC).hour + 12) % 24
    cron.job("nightly", f"15 {away} * * *", "true")
    cron.job("report", f"0 30 {away} * * *", "true", zone="Asia/Kolkata")
    cron.job("daily", "@every 24h", "true")
    cron.start()
    time.sleep(1.5)  # its start-up: the look for lost runs, the last second it looked at
    state = cron.root / "state"
    before = {p.name: p.stat().st_mtime_ns for p in state.iterdir()}
    time.sleep(3)
    assert {p.name: p.stat().st_mtime_ns for p in state.iterdir()} == before
    cron.stop()
    assert int((state / "last").read_text()) >= int(time.time()) - 2, "saved when stopped"
    assert cron.records() == []


def test_a_job_added_to_an_idle_scheduler_starts_from_its_addition(cron: CronDir) -> None:
    away = (datetime.now(UTC).hour + 12) % 24
    cron.job("nightly", f"15 {away} * * *", "true")
    cron.start()
    time.sleep(3)
    added = int(time.time())
    cron.job("tick", "@every 1s", "true", catch_up=60)
    time.sleep(2.5)
    cron.stop()
    cron.settle()
    ticks = [int(r["at"]) for r in cron.records("tick")]
    assert ticks and min(ticks) >= added, "no tick of before its addition"
    assert {r["state"] for r in cron.records("tick")} == {"ok"}


def test_a_job_added_while_idle_is_saved_as_looked_at_before_a_crash(cron: CronDir) -> None:
    """state/last follows a change of jobs/ at once: a scheduler killed (no stop, no due tick
    since) and started again does not look at the seconds before the job existed."""
    away = (datetime.now(UTC).hour + 12) % 24
    cron.job("nightly", f"15 {away} * * *", "true")
    cron.start()
    time.sleep(2.5)
    added = int(time.time())
    cron.job("weekly", f"15 {away} * * 3", "true")
    time.sleep(1.2)
    cron.close()  # killed: its stop trap does not run
    assert int((cron.root / "state" / "last").read_text()) >= added
