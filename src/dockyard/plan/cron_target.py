"""Where an app's job scheduler runs, and the release pointers a deploy or rollback switches
there in its last trip to the host (pure; docs/cron.md)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands.app import AppContainer
from dockyard.commands.base import Raw
from dockyard.commands.cron import switch_release
from dockyard.config.objects import Config
from dockyard.plan.role import RoleBoot


@dataclass(frozen=True)
class CronTarget:
    """Where the scheduler runs, and whose release pointers a deploy switches there."""

    app: str  # service[-destination]
    host: str
    roles: tuple[str, ...]  # the roles with jobs

    def switches(self, host: str, boots: tuple[RoleBoot, ...]) -> list[Raw]:
        """The pointer switch of each role with jobs booting on the scheduler's host; a
        rollback (restart_existing) keeps the env the version was deployed with."""
        if host != self.host:
            return []
        switched = [b for b in boots if b.role in self.roles]
        return [_switch(self.app, b) for b in switched]


def cron_target(config: Config) -> CronTarget | None:
    jobs = config.dockyard.cron.values()
    if not jobs:
        return None
    host = next(iter(jobs)).host  # one host for every job (config/cron_jobs.py)
    roles = tuple(dict.fromkeys(job.role for job in jobs))
    return CronTarget(config.service_and_destination, host, roles)


def release_env(c: AppContainer) -> dict[str, str]:
    """The clear env of the role's container, less its container name (a run has its own)."""
    return {k: v for k, v in c.env.items() if k != "KAMAL_CONTAINER_NAME"}


def _switch(app: str, b: RoleBoot) -> Raw:
    c = b.container
    return switch_release(app, b.role, b.version, c.image, release_env(c), b.env_file_path,
                          keep_existing=b.restart_existing)  # fmt: skip
