"""Run records as read_runs prints them; the runs still going as stop_scheduler lists them."""

from dockyard.facts.cron import (
    RunRecord,
    parse_last,
    parse_running,
    parse_runs,
    parse_scheduler_state,
)


def test_records_oldest_first_and_a_partial_line_left_out() -> None:
    text = (
        "job=b\ttick=T2\tat=20\tstate=missed\t\n"
        "job=a\ttick=T1\tat=10\tmode=caught-up\tstate=failed\trelease=v1\tstarted=11\t"
        "ended=15\texit=7\t\n"
        "job=a\ttick=T3\t\n"  # being rewritten: no state yet
        "job=a\ttick=T4\tat=40\tstate=skipped\treason=the last run still runs\t\n"
    )
    assert parse_runs(text) == [
        RunRecord("a", "T1", 10, "failed", "caught-up", "v1", 11, 15, 7),
        RunRecord("b", "T2", 20, "missed"),
        RunRecord("a", "T4", 40, "skipped", reason="the last run still runs"),
    ]
    assert parse_runs(text)[0].duration == 4 and parse_runs(text)[1].duration is None


def test_running_runs_are_named_job_at_tick() -> None:
    text = "noise\nruns-still-going:\nruns/a/T1\nruns/b/T2\n"
    assert parse_running(text, "runs-still-going:") == ["a@T1", "b@T2"]
    assert parse_running("", "runs-still-going:") == []


def test_the_schedulers_state_is_the_first_line() -> None:
    assert parse_scheduler_state("scheduler=running\njob=a\ttick=T1\tat=1\tstate=ok\t\n") == (
        "running"
    )
    assert parse_scheduler_state("scheduler=stopped\n") == "stopped"
    assert parse_scheduler_state("scheduler=none\n") == "none"
    assert parse_scheduler_state("") == "none"


def test_the_last_second_a_stopped_scheduler_looked_at() -> None:
    assert parse_last("last=1772359210\nruns-still-going:\n", "last=") == 1772359210
    assert parse_last("last=\nruns-still-going:\n", "last=") is None  # it never looked
    assert parse_last("", "last=") is None  # no cron directory there
