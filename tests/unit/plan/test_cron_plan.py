"""The scheduler's plan: a job runs with its role's volumes, options and network on its host;
the deploy's last trip to that host switches the release pointer of each role with jobs, with
that release's env (a rollback keeps the env its version was deployed with)."""

from __future__ import annotations

import base64
import re
from dataclasses import replace

import yaml

from dockyard.commands.base import Raw
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.plan.cron import cron_plan
from dockyard.plan.from_config import deploy_plan
from dockyard.redaction import Secret

DEPLOY = {
    "service": "shop", "image": "team/shop", "builder": {"arch": "amd64"},
    "registry": {"server": "registry.lab:5000", "username": "u", "password": "p"},
    "volumes": ["/srv/shop:/data"],
    "env": {"clear": {"MODE": "prod"}, "secret": ["TOKEN"]},
    "servers": {
        "web": ["10.0.0.1", "10.0.0.2"],
        "workers": {"hosts": ["10.0.0.3", "10.0.0.4"], "options": {"memory": "1g"}},
    },
    "x-dockyard": {"cron": {"report": {
        "schedule": "*/5 * * * *", "command": "bin/report", "role": "workers",
        "host": "10.0.0.4", "timezone": "Europe/Paris", "timeout": "90s",
    }}},
}  # fmt: skip


def config() -> Config:
    return parse_config([("config/deploy.yml", yaml.safe_dump(DEPLOY))], version="v7")


def test_a_job_runs_with_its_roles_settings_on_its_host() -> None:
    plan = cron_plan(config())
    assert plan is not None
    assert (plan.target.app, plan.target.host, plan.target.roles) == ("shop", "10.0.0.4",
                                                                      ("workers",))  # fmt: skip
    job = plan.jobs["report"]
    assert "ROLE='workers'\n" in job and "TZ_NAME='Europe/Paris'\n" in job
    assert "TIMEOUT='90'\n" in job and "COMMAND='bin/report'\n" in job
    run_args = next(line for line in job.splitlines() if line.startswith("RUN_ARGS="))
    assert "--network kamal --volume /srv/shop:/data" in run_args and "--memory 1g" in run_args


def test_no_jobs_no_plan_and_no_switch() -> None:
    bare = {k: v for k, v in DEPLOY.items() if k != "x-dockyard"}
    loaded = parse_config([("config/deploy.yml", yaml.safe_dump(bare))], version="v7")
    assert cron_plan(loaded) is None
    assert deploy_plan(loaded, {"TOKEN": Secret("t")}).cron is None


def test_the_last_trip_to_the_jobs_host_switches_the_pointer_with_the_releases_env() -> None:
    plan = deploy_plan(config(), {"TOKEN": Secret("t")})
    assert plan.cron is not None
    assert plan.cron.switches("10.0.0.3", plan.boots_on("10.0.0.3")) == []
    (switch,) = plan.cron.switches("10.0.0.4", plan.boots_on("10.0.0.4"))
    assert isinstance(switch, Raw)
    text = switch.render()
    assert 'cd "$HOME/.dockyard/apps/shop/cron"' in text
    assert "releases/v7/workers.env.tmp" in text and "release.workers" in text
    assert 'cat "$HOME/.dockyard/apps/shop/env/roles/workers.env"' in text
    clear = re.search(r"echo (\S+) \| base64 -d;", text)
    assert clear is not None
    assert base64.b64decode(clear[1]).decode() == (
        "KAMAL_VERSION=v7\nKAMAL_HOST=10.0.0.4\nMODE=prod\n"
    ), "the clear env of the release, less the container's name"
    assert "[ -f releases/v7/workers.env ] ||" not in text  # a deploy writes the env again
    rollback = [replace(b, restart_existing=True) for b in plan.boots_on("10.0.0.4")]
    (kept,) = plan.cron.switches("10.0.0.4", tuple(rollback))
    assert "[ -f releases/v7/workers.env ] ||" in kept.render()
