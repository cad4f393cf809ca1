"""What the app's job scheduler needs (pure): where it runs and each job's file (docs/cron.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.commands.base import cmd
from dockyard.commands.cron_scripts import job_file, job_settings
from dockyard.config.cron_jobs import CronJob
from dockyard.config.objects import Config
from dockyard.engine import Engine
from dockyard.plan.cron_target import CronTarget, cron_target
from dockyard.plan.from_config import app_container


@dataclass(frozen=True)
class CronPlan:
    target: CronTarget
    engine: Engine
    jobs: Mapping[str, str]  # job name -> its job file


def cron_plan(config: Config) -> CronPlan | None:
    target = cron_target(config)
    if target is None:
        return None
    files = {name: job_file(_settings(config, job)) for name, job in config.dockyard.cron.items()}
    return CronPlan(target, config.runtime, files)


def _settings(config: Config, job: CronJob) -> dict[str, str]:
    """With backend: swarm, a tick's container joins the app's attachable overlay network (it
    reaches the accessories and `tasks.<stack>_<role>` by name), as `app exec` does there."""
    role = config.role(job.role)
    c = app_container(
        config, role, job.host, "cron", None
    )  # no asset volume: none is kept per release
    network = config.swarm_network if config.dockyard.backend == "swarm" else c.network
    run_args = cmd("--network", network, *[a for v in c.volumes for a in ("--volume", v)],
                   *c.log_options, *c.options).render()  # fmt: skip
    return job_settings(
        job.schedule, role=job.role, zone=job.timezone, concurrency=job.concurrency,
        timeout=job.timeout, catch_up=job.catch_up, run_args=run_args, command=job.command,
    )  # fmt: skip
