"""Rollback: which version served before, and a plan that restarts its kept containers."""

from __future__ import annotations

from dataclasses import replace

from dockyard.commands import app as app_commands
from dockyard.commands.base import HomePath, cmd
from dockyard.config.objects import Config
from dockyard.errors import DockyardError
from dockyard.facts.app import parse_booted_versions, previous_version, version_of
from dockyard.plan.deploy import DeployPlan, HostBoot
from dockyard.ssh.transport import Transport
from dockyard.workflows.app.containers import containers_on_host
from dockyard.workflows.server import Server


async def find_previous_version(transport: Transport, config: Config) -> str:
    """From the primary host: its audit log's boot order and the containers it still has."""
    host, role = config.primary_host, config.primary_role
    if host is None or role is None:
        raise DockyardError("the config has no primary role with hosts; give the version to use")
    server = Server(transport, host, config.runtime)
    log_file = HomePath(app_commands.audit_log(config.service, config.destination))
    log = await server.run(cmd("cat", log_file), check=False)
    prefix = config.proxy_service_name(role.name) + "-"
    containers = await containers_on_host(server, config, role.name)
    running = [c for c in containers if c.state == "running" and version_of(c.name, prefix)]
    current = version_of(running[0].name, prefix) if running else None
    available = {v for c in containers if (v := version_of(c.name, prefix))}
    version = previous_version(parse_booted_versions(log.stdout), current, available)
    if version is None:
        raise DockyardError(
            f"{host}: no earlier version is kept to roll back to (current: {current or 'none'}); "
            "see `dockyard app containers`, or deploy the version you want"
        )
    return version


def restarting(plan: DeployPlan) -> DeployPlan:
    """The same plan, starting the kept containers of its version instead of new ones."""
    groups = tuple(
        tuple(
            HostBoot(h.host, tuple(replace(r, restart_existing=True) for r in h.roles))
            for h in group
        )
        for group in plan.groups
    )
    return replace(plan, groups=groups)
