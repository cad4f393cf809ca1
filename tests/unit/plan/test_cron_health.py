"""What `details` warns about scheduled jobs: a scheduler that does not run, and each job's
bad runs since its last ok one."""

from dockyard.facts.cron import RunRecord
from dockyard.plan.cron_health import cron_warnings


def record(job: str, at: int, state: str, exit: int | None = None) -> RunRecord:
    return RunRecord(job, f"T{at}", at, state, exit=exit)


def test_no_warning_while_the_scheduler_runs_and_every_job_ran_well_since_its_bad_runs() -> None:
    records = [record("a", 1, "failed", 1), record("a", 2, "ok", 0), record("a", 3, "skipped"),
               record("b", 1, "paused"), record("b", 2, "replaced")]  # fmt: skip
    assert cron_warnings("h", "running", ["a", "b"], records) == []


def test_each_job_with_bad_runs_since_its_last_ok_one_is_named_with_its_newest() -> None:
    records = [record("a", 1, "ok", 0), record("a", 2, "missed"), record("a", 3, "failed", 7),
               record("a", 4, "lost"), record("a", 5, "failed", 7), record("b", 1, "timed-out"),
               record("c", 1, "running")]  # fmt: skip
    assert cron_warnings("h", "running", ["a", "b", "c"], records) == [
        "WARNING: cron a: 2 failed, 1 lost, 1 missed since its last ok run; the newest a@T5 "
        "failed (exit 7): see `dockyard cron runs a` and `dockyard cron logs a`",
        "WARNING: cron b: 1 timed-out and no ok run yet; the newest b@T1 timed-out: see "
        "`dockyard cron runs b` and `dockyard cron logs b`",
    ]


def test_a_scheduler_that_does_not_run_is_warned_about_first() -> None:
    for state in ("stopped", "none"):
        assert cron_warnings("10.0.0.2", state, ["a"], []) == [
            "WARNING: the job scheduler does not run on 10.0.0.2: its ticks are missed until "
            "`dockyard deploy` starts it"
        ]
