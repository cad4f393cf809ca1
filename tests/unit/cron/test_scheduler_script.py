"""The scheduler's scripts, run for real here (GNU date, flock) with a fake engine: every tick
runs once with a record, a restart within a tick runs nothing twice, each run uses the release
the pointer named at its tick, concurrency, missed ticks and catch_up, a failing run's record."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.unit.cron.harness import CronDir

APPEND = """sh -c 'echo "$V $IMAGE" >> "$OUT"'"""


def then(command: str) -> str:
    """APPEND, then the command, in the container's shell."""
    return APPEND[:-1] + f"; {command}'"


@pytest.fixture
def cron(tmp_path: Path) -> Iterator[CronDir]:
    found = CronDir(tmp_path)
    yield found
    found.close()


def test_every_tick_runs_once_with_a_record_through_a_restart(cron: CronDir) -> None:
    cron.job("tick", "@every 1s", APPEND)
    cron.wait_for_second()
    start = int(time.time())
    cron.start()
    time.sleep(2.5)
    cron.stop()
    cron.start()  # within the same second: the tick it looked at is not run again
    time.sleep(1.5)
    cron.stop()
    end = int(time.time())
    cron.settle()
    looked_at = int((cron.root / "state" / "last").read_text())  # the last second dispatched
    assert end - 1 <= looked_at <= end
    records = cron.records("tick")
    ticks = [int(r["at"]) for r in records]
    assert ticks == list(range(start + 1, looked_at + 1)), "each second once, none missing"
    assert all(r["state"] == "ok" and r["exit"] == "0" for r in records)
    assert len(cron.side_effects()) == len(records)


def test_each_run_uses_the_release_live_at_its_tick(cron: CronDir) -> None:
    cron.job("tick", "@every 1s", then("sleep 1.5"))
    cron.start()
    time.sleep(2.2)
    cron.release("v2")
    time.sleep(2)
    cron.stop()
    cron.settle()
    releases = [r["release"] for r in cron.records("tick") if r["state"] == "ok"]
    assert "v1" in releases and "v2" in releases
    assert releases == sorted(releases), "no run after the switch used v1"
    assert sorted(set(cron.side_effects())) == ["v1 app:v1", "v2 app:v2"]


@pytest.mark.parametrize(
    ("concurrency", "states"),
    [("forbid", {"ok", "skipped"}), ("allow", {"ok"}), ("replace", {"replaced", "ok"})],
)
def test_a_run_longer_than_its_interval(cron: CronDir, concurrency: str, states: set[str]) -> None:
    cron.job("slow", "@every 1s", then("sleep 2.5"), concurrency=concurrency)
    cron.wait_for_second()
    cron.start()
    time.sleep(3.2)
    cron.stop()
    cron.settle(10)
    records = cron.records("slow")
    found = [r["state"] for r in records]
    assert set(found) == states, found
    ok = sorted((int(r["started"]), int(r["ended"])) for r in records if r["state"] == "ok")
    overlapped = any(b[0] < a[1] for a, b in pairwise(ok))
    # what each policy means, not how many ticks a loaded machine dispatched in 3.2 s
    if concurrency == "allow":
        assert len(ok) >= 2 and overlapped and len(cron.side_effects()) == len(ok)
    if concurrency == "forbid":
        assert not overlapped, f"two runs overlapped under forbid: {ok}"


def test_missed_ticks_are_recorded_and_catch_up_runs_the_newest_once(cron: CronDir) -> None:
    now = int(time.time())
    (cron.root / "state" / "last").write_text(f"{now - 100}\n")
    cron.job("skip", "@every 10s", APPEND)
    cron.job("catch", "@every 10s", APPEND, catch_up=60)
    cron.start()
    time.sleep(1)
    cron.stop()
    cron.settle()
    for job in ("skip", "catch"):
        old = [r for r in cron.records(job) if int(r["at"]) < now - 10]
        assert len(old) >= 8
        if job == "skip":
            assert {r["state"] for r in old} == {"missed"}
        else:
            assert [r["mode"] for r in old if r["state"] != "missed"] == ["caught-up"]
            assert max(old, key=lambda r: int(r["at"])).get("mode") == "caught-up"


def test_a_failing_run_records_its_exit_code_and_log_tail(cron: CronDir) -> None:
    cron.job("fail", "@every 1s", "sh -c 'echo line one; echo it broke >&2; exit 3'")
    cron.start()
    time.sleep(1.5)
    cron.stop()
    cron.settle()
    record = cron.records("fail")[0]
    assert (record["state"], record["exit"]) == ("failed", "3")
    log = (cron.root / "runs" / "fail" / f"{record['tick']}.log").read_text()
    assert log.splitlines() == ["line one", "it broke"]


def test_a_timeout_stops_the_run_and_a_paused_job_does_not_run(cron: CronDir) -> None:
    cron.job("long", "@every 2s", "sleep 30", timeout=1)
    cron.job("quiet", "@every 1s", APPEND)
    (cron.root / "paused").mkdir()
    (cron.root / "paused" / "quiet").touch()
    cron.wait_for_second()
    cron.start()
    time.sleep(2.5)
    cron.stop()
    cron.settle(8)
    assert {r["state"] for r in cron.records("long")} == {"timed-out"}
    assert {r["state"] for r in cron.records("quiet")} == {"paused"}
    assert cron.side_effects() == []


def test_the_fields_are_read_in_the_jobs_time_zone(cron: CronDir) -> None:
    """Kolkata is UTC+5:30: its minute is not UTC's, so only a zone-aware match fires."""
    kolkata = datetime.now(ZoneInfo("Asia/Kolkata"))
    minutes = f"{kolkata.minute},{(kolkata.minute + 1) % 60}"  # the minute may turn meanwhile
    hours = f"{kolkata.hour},{(kolkata.hour + 1) % 24}"
    cron.job("local", f"* {minutes} {hours} * * *", APPEND, zone="Asia/Kolkata")
    cron.job("utc", f"* {minutes} {hours} * * *", APPEND)
    cron.start()
    time.sleep(1.5)
    cron.stop()
    cron.settle()
    assert cron.records("local") and {r["state"] for r in cron.records("local")} == {"ok"}
    assert cron.records("utc") == []


def test_a_run_whose_processes_all_died_reads_lost_once_the_scheduler_is_back(
    cron: CronDir,
) -> None:
    cron.job("long", "@every 2s", "sleep 30")
    cron.wait_for_second()
    cron.start()
    time.sleep(2.5)
    cron.close()  # the scheduler and every run it started killed, as a reboot ends them
    (going,) = cron.records("long")
    assert going["state"] == "running"
    cron.job("long", "@every 2s", "true")  # the runs after the restart end at once
    cron.start()
    time.sleep(1)
    cron.stop()
    cron.settle()
    (lost,) = [r for r in cron.records("long") if r["tick"] == going["tick"]]
    assert lost["state"] == "lost" and lost["release"] == "v1" and "reboot" in lost["reason"]
    assert not list((cron.root / "runs" / "long").glob(".*.lock")), "no lock file left"


def test_a_running_run_is_not_lost_when_the_scheduler_restarts(cron: CronDir) -> None:
    cron.job("long", "@every 2s", then("sleep 3"))
    cron.wait_for_second()
    cron.start()
    time.sleep(2.5)
    cron.stop()
    cron.start()  # its look for lost runs at its start: the run still holds its lock
    time.sleep(0.5)
    cron.stop()
    cron.settle()
    assert {r["state"] for r in cron.records("long")} <= {"ok", "skipped"}


def test_a_tick_while_the_engine_does_not_answer_is_missed_and_runs_nothing(cron: CronDir) -> None:
    cron.job("tick", "@every 1s", APPEND)
    cron.start()
    cron.looking()  # past its start-up (which waits for the engine)
    (cron.fake / "down").touch()
    time.sleep(1.5)
    (cron.fake / "down").unlink()
    time.sleep(1.2)
    cron.stop()
    cron.settle()
    states = [r["state"] for r in cron.records("tick")]
    assert "missed" in states and states[-1] == "ok", states
    missed = [r for r in cron.records("tick") if r["state"] == "missed"]
    assert {r["reason"] for r in missed} == {"the engine did not answer (stopped or restarting)"}
    assert len(cron.side_effects()) == states.count("ok")


# --- the start-up after a reboot: the enabled file, the wait for the engine ----------------------


def test_a_scheduler_dockyard_stopped_is_not_started_again(cron: CronDir) -> None:
    """Without `enabled` (a stop removed it), a start (cron's, after a reboot) exits at once."""
    cron.job("tick", "@every 1s", APPEND)
    (cron.root / "enabled").unlink()
    cron.start()
    assert cron.scheduler is not None and cron.scheduler.wait(5) == 0
    assert cron.records("tick") == [] and not (cron.root / "scheduler.pid").exists()


def test_at_boot_the_ticks_are_looked_at_once_the_engine_answers(cron: CronDir) -> None:
    """Started while the engine is still starting (as cron starts it at boot), the scheduler
    waits for it: the ticks since its last look before the boot then run (they are at most
    LATE seconds old), none is recorded missed for an engine that had not started yet."""
    cron.job("tick", "@every 1s", APPEND, concurrency="allow")  # the late ones start at once
    (cron.root / "state" / "last").write_text(f"{int(time.time())}\n")
    (cron.fake / "down").touch()
    cron.start()
    time.sleep(2.5)
    assert cron.records("tick") == [], "a tick looked at before the engine answered"
    (cron.fake / "down").unlink()
    cron.looking()
    time.sleep(1.2)
    cron.stop()
    cron.settle()
    records = cron.records("tick")
    assert len(records) >= 3 and {r["state"] for r in records} == {"ok"}, records
    ticks = [int(r["at"]) for r in records]
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks))), "a tick missing"
    assert len(cron.side_effects()) == len(records)
