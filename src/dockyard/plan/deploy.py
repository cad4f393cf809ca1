"""The plan of a whole deploy: which role boots on which host, in which groups (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.commands import app as app_commands
from dockyard.commands.base import Raw
from dockyard.commands.caddy_config import ProxySettings
from dockyard.commands.cron import retire_scheduler
from dockyard.commands.proxy import ProxyContainer
from dockyard.engine import Engine
from dockyard.plan.cron_target import CronTarget
from dockyard.plan.role import RoleBoot


@dataclass(frozen=True)
class HostBoot:
    host: str
    roles: tuple[RoleBoot, ...]  # the primary role first


@dataclass(frozen=True)
class DeployPlan:
    service: str
    destination: str | None
    version: str
    engine: Engine  # docker or podman
    image: str  # repository:version
    latest_image: str  # repository:latest[-destination]
    primary_host: str
    groups: tuple[tuple[HostBoot, ...], ...]  # boot.limit groups, primary hosts first
    proxy_hosts: tuple[str, ...]
    proxy_containers: dict[str, ProxyContainer]  # how the proxy runs, per proxy host
    proxy_settings: ProxySettings = field(default_factory=ProxySettings)
    boot_wait: float = 0
    parallel_roles: bool = False
    retain_containers: int = 5
    hooks_path: str = ".kamal/hooks"  # on the deploying machine
    roles_filter: tuple[str, ...] = ()
    performer: str = "unknown"
    extra_hook_env: dict[str, str] = field(default_factory=dict)
    cron: CronTarget | None = (
        None  # the scheduler's host, whose release pointers the last trip switches
    )

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(h.host for group in self.groups for h in group)

    def cron_steps(self, host: str) -> list[Raw]:
        """In the finish trip: the release pointers switched on the jobs' host; with no job in
        the config, a scheduler earlier jobs left retired (docs/cron.md)."""
        if self.cron is None:
            app = f"{self.service}-{self.destination}" if self.destination else self.service
            return [retire_scheduler(app)]
        return self.cron.switches(host, self.boots_on(host))

    def boots_on(self, host: str) -> tuple[RoleBoot, ...]:
        """The roles that boot on this host, the primary role first."""
        return next((h.roles for group in self.groups for h in group if h.host == host), ())

    @property
    def audit_log(self) -> str:
        return app_commands.audit_log(self.service, self.destination)

    def audit_line(self, message: str, *, at: str, role: str | None = None) -> str:
        parts = [f"[{at}]", f"[{self.performer}]"]
        if self.destination:
            parts.append(f"[{self.destination}]")
        if role:
            parts.append(f"[{role}]")
        return " ".join([*parts, message])
