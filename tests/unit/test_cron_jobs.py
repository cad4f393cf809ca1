"""x-dockyard/cron: defaults, every key, and each mistake reported at its key path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from dockyard.config import parse_config
from dockyard.config.cron_jobs import CronJob, parse_cron_jobs
from dockyard.errors import ConfigError

ROLES = {"web": ("10.0.0.1", "10.0.0.2"), "workers": ("10.0.0.3",)}


def jobs(section: Any) -> dict[str, CronJob]:
    return parse_cron_jobs(section, ROLES, "web")


def test_defaults_are_the_primary_roles_first_host_forbid_utc_and_no_catch_up() -> None:
    job = jobs({"prune": {"schedule": "@hourly", "command": "bin/prune"}})["prune"]
    assert (job.role, job.host, job.concurrency, job.timezone) == (
        "web",
        "10.0.0.1",
        "forbid",
        "UTC",
    )
    assert (job.timeout, job.catch_up, job.command) == (None, None, "bin/prune")
    assert job.schedule.text == "@hourly"


def test_every_key() -> None:
    job = jobs({"report": {
        "schedule": "*/10 * * * * *", "command": "bin/report --all", "role": "workers",
        "host": "10.0.0.3", "concurrency": "replace", "timeout": "90s",
        "timezone": "Europe/Paris", "catch_up": "2h",
    }})["report"]  # fmt: skip
    assert (job.role, job.host, job.concurrency, job.timeout, job.catch_up) == (
        "workers",
        "10.0.0.3",
        "replace",
        90,
        7200,
    )
    assert job.timezone == "Europe/Paris" and job.schedule.seconds == set(range(0, 60, 10))


@pytest.mark.parametrize(
    ("job", "key", "message"),
    [
        ({"command": "x"}, "schedule", "is required: a cron schedule"),
        ({"schedule": 5, "command": "x"}, "schedule", "should be a cron schedule .*, not a number"),
        ({"schedule": "* * *", "command": "x"}, "schedule", "should have five fields"),
        ({"schedule": "@every 7s", "command": "x"}, "schedule", "divide a day evenly"),
        ({"schedule": "@daily"}, "command", "is required: the command"),
        ({"schedule": "@daily", "command": "a\nb"}, "command", "should be one line"),
        (
            {"schedule": "@daily", "command": "x", "role": "db"},
            "role",
            r"no role named db \(roles: web, workers\)",
        ),
        (
            {"schedule": "@daily", "command": "x", "host": "10.0.0.3"},
            "host",
            "should be one of the role's hosts: 10.0.0.1, 10.0.0.2",
        ),
        (
            {"schedule": "@daily", "command": "x", "concurrency": "queue"},
            "concurrency",
            "should be one of forbid, allow, replace",
        ),
        (
            {"schedule": "@daily", "command": "x", "timeout": "10d"},
            "timeout",
            "a positive duration like 90s, 30m or 2h",
        ),
        (
            {"schedule": "@daily", "command": "x", "catch_up": "0s"},
            "catch_up",
            "a positive duration",
        ),
        (
            {"schedule": "@daily", "command": "x", "timezone": "Mars/Olympus"},
            "timezone",
            "'Mars/Olympus' is not a time zone",
        ),
        (
            {"schedule": "@daily", "command": "x", "timezone": "../etc/passwd"},
            "timezone",
            "is not a time zone",
        ),
        (
            {"schedule": "@daily", "command": "x", "every": "1m"},
            "",
            "unknown key: every .known: schedule, command",
        ),
    ],
)
def test_mistakes_are_reported_at_their_key(job: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        jobs({"nightly": job})
    assert raised.value.key == "x-dockyard/cron/nightly" + (f"/{key}" if key else "")


def test_a_cron_section_that_is_not_a_map_is_refused_even_empty() -> None:
    with pytest.raises(ConfigError, match="should be a map of job names to jobs") as raised:
        jobs([])
    assert raised.value.key == "x-dockyard/cron"


def test_a_bad_job_name_and_jobs_on_two_hosts_are_refused() -> None:
    with pytest.raises(ConfigError, match="a job name is") as raised:
        jobs({"Night Job": {"schedule": "@daily", "command": "x"}})
    assert raised.value.key == "x-dockyard/cron/Night Job"
    with pytest.raises(ConfigError, match=r"runs on one host .one scheduler per app.; these "
                       r"name 10.0.0.1, 10.0.0.3"):  # fmt: skip
        jobs({"a": {"schedule": "@daily", "command": "x"},
              "b": {"schedule": "@daily", "command": "x", "role": "workers"}})  # fmt: skip


DEPLOY = {
    "service": "shop", "image": "team/shop", "builder": {"arch": "amd64"},
    "registry": {"server": "registry.lab:5000", "username": "u", "password": "p"},
    "servers": {"web": ["10.0.0.1"], "workers": {"hosts": ["10.0.0.3"]}},
    "primary_role": "workers",
}  # fmt: skip


def load(cron: Any) -> Any:
    text = yaml.safe_dump({**DEPLOY, "x-dockyard": {"cron": cron}})
    return parse_config([("config/deploy.yml", text)], version="v1")


def test_the_loaded_config_holds_the_jobs_and_defaults_to_its_primary_role() -> None:
    config = load({"prune": {"schedule": "0 3 * * *", "command": "bin/prune"}})
    assert config.dockyard.cron["prune"].role == "workers"
    assert config.dockyard.cron["prune"].host == "10.0.0.3"


def test_loading_reports_the_first_mistake_by_its_path() -> None:
    with pytest.raises(ConfigError) as raised:
        load({"nightly": {"schedule": "61 * * * *", "command": "x"}})
    assert "x-dockyard/cron/nightly/schedule" in str(raised.value)
    assert "minute: 61 is outside 0-59" in str(raised.value)
