"""The scheduler's job file (exact text) and its scripts' syntax (sh -n)."""

import subprocess

import pytest

from dockyard.commands.cron_scripts import RUN_SH, SCHEDULER_SH, job_file, job_settings
from dockyard.config.cron import parse_cron


def test_a_job_file_holds_the_schedule_as_sets_and_its_shell_text_quoted() -> None:
    settings = job_settings(
        parse_cron("0,30 5 * * 1-5", sub_minute=True), role="web", zone="Europe/Paris",
        concurrency="forbid",
        timeout=90, catch_up=None, run_args="--network kamal --volume '/data:/data'",
        command="bin/report 'it''s'",
    )  # fmt: skip
    assert job_file(settings) == (
        "EVERY=''\n"
        "CRON_SECONDS=' 0 '\n"
        "CRON_MINUTES=' 0 30 '\n"
        "CRON_HOURS=' 5 '\n"
        f"CRON_DAYS=' {' '.join(str(d) for d in range(1, 32))} '\n"
        f"CRON_MONTHS=' {' '.join(str(m) for m in range(1, 13))} '\n"
        "CRON_WEEKDAYS=' 1 2 3 4 5 '\n"
        "CRON_DAY_OR='0'\n"
        "ROLE='web'\n"
        "TZ_NAME='Europe/Paris'\n"
        "CONCURRENCY='forbid'\n"
        "TIMEOUT='90'\n"
        "CATCH_UP=''\n"
        "RUN_ARGS='--network kamal --volume '\\''/data:/data'\\'''\n"
        "COMMAND='bin/report '\\''it'\\'''\\''s'\\'''\n"
    )


def test_every_is_given_in_seconds() -> None:
    settings = job_settings(parse_cron("@every 2m", sub_minute=True), role="web", zone="UTC",
                            concurrency="allow", timeout=None, catch_up=600, run_args="",
                            command="x")  # fmt: skip
    assert (settings["EVERY"], settings["CATCH_UP"], settings["TIMEOUT"]) == ("120", "600", "")


@pytest.mark.parametrize("script", [SCHEDULER_SH, RUN_SH], ids=["scheduler.sh", "run.sh"])
def test_the_scripts_parse(script: str) -> None:
    assert subprocess.run(["sh", "-n"], input=script.encode(), check=False).returncode == 0
