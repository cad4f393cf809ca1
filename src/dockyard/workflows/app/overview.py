"""`details` and `audit`: the whole app on each of its hosts, read only.

details(session)   # {host: [ContainerDetail, ...]}: the proxy, the app's, the accessories'
audit(session)     # {host: the last 50 lines of the app's audit log}
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from dockyard.commands import app as app_commands
from dockyard.commands import cron as cron_commands
from dockyard.commands.overview import containers_and_live_slots
from dockyard.config.objects import Config
from dockyard.errors import DockyardError, reason
from dockyard.facts.cron import parse_runs, parse_scheduler_state
from dockyard.facts.overview import parse_listing
from dockyard.plan.cron_health import cron_warnings
from dockyard.plan.overview import ContainerDetail, describe
from dockyard.plan.targets import selected_app_hosts, server_hosts
from dockyard.workflows.accessories.manage import context_for
from dockyard.workflows.app.manage import DEPLOY_IT
from dockyard.workflows.backups.backup import backup_freshness
from dockyard.workflows.found import require_found
from dockyard.workflows.http import http_check
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import manage as swarm

AUDIT_LINES = 50
AGAIN = "nothing was changed; try again once this is fixed"


def details(session: Session) -> dict[str, list[ContainerDetail]]:
    """On each selected host (accessory hosts too), in one round trip: the proxy container, the
    app's containers (of the selected roles) with their version, slot and health, and the
    accessories' containers (with their backups' warnings). NotFoundError when neither the app
    nor an accessory has a container on any of them (whatever the proxy). With backend: swarm,
    each node's running tasks (workflows/swarm/manage.py)."""
    config = session.config
    if config.dockyard.backend == "swarm":
        return swarm.details(session)
    listing = containers_and_live_slots(config.runtime)

    async def step(server: Server) -> list[ContainerDetail]:
        with server.step("listing the containers and the proxy's live slots", AGAIN):
            rows = describe(config, parse_listing((await server.run(listing)).stdout))
        rows = [r for r in rows if r.kind != "app" or session.selection.role_ok(r.role or "")]
        rows = list(await asyncio.gather(*(_with_health(server, config, r) for r in rows)))
        rows = [await _with_backup_warnings(server, session, r) for r in rows]
        return rows + await _scheduler(server, config)

    found = session.on_hosts(server_hosts(config, session.selection), step)
    ours = {host: [r for r in rows if r.kind != "proxy"] for host, rows in found.items()}
    require_found(ours, f"{config.service} has no container", DEPLOY_IT)
    return found


async def _scheduler(server: Server, config: Config) -> list[ContainerDetail]:
    """On the jobs' host: the job scheduler's row, with the warnings about its runs (a
    scheduler that does not run; failed, lost or missed runs since the last good one)."""
    jobs = config.dockyard.cron
    if not jobs or next(iter(jobs.values())).host != server.host:
        return []
    with server.step("reading the job scheduler's state and records", AGAIN):
        stdout = (
            await server.run(cron_commands.read_status(config.service_and_destination))
        ).stdout
    state = parse_scheduler_state(stdout)
    warnings = cron_warnings(server.host, state, list(jobs), parse_runs(stdout))
    name = f"{config.service_and_destination} job scheduler"
    return [ContainerDetail("cron", name, "", state, warnings=tuple(warnings))]


async def _with_health(server: Server, config: Config, row: ContainerDetail) -> ContainerDetail:
    """A running container of a proxied role: healthy when its health path answers 2xx now
    (dockyard's own check, as a deploy runs it); others keep the engine's health status."""
    role = next((r for r in config.roles if r.name == row.role), None)
    if row.kind != "app" or row.state != "running" or not row.ip or not role or not role.proxy:
        return row
    check = role.proxy.healthcheck
    ok, answer = await http_check(server, row.ip, role.proxy.app_port, check.path, check.timeout)
    return replace(row, health=f"{'healthy' if ok else 'unhealthy'} ({check.path}: {answer})")


async def _with_backup_warnings(
    server: Server, session: Session, row: ContainerDetail
) -> ContainerDetail:
    """An accessory with backups: the warnings `accessory details` gives about them (the backup
    container not running; the last backup failed or is late; the last verify failed or is
    overdue). Not reading them is a warning too: details goes on."""
    config = session.config
    if row.kind != "accessory" or not row.role or config.backups_of(row.role) is None:
        return row
    accessory = config.accessory(row.role)
    if server.host not in accessory.hosts:  # its backups are made where it is booted
        return row
    actx = context_for(session, accessory)
    try:
        lines = await backup_freshness(server, actx)
    except DockyardError as error:
        cause = reason(error, server.host)
        lines = [f"WARNING: cannot read the backups of {row.role}: {cause}"]
    warnings = tuple(line for line in lines if line.startswith("WARNING: "))
    return replace(row, warnings=row.warnings + warnings)


def audit(session: Session) -> dict[str, list[str]]:
    """NotFoundError when no selected host has the app's audit log (nothing was deployed)."""
    config = session.config
    tail = app_commands.audit_tail(
        app_commands.audit_log(config.service, config.destination), AUDIT_LINES
    )

    async def step(server: Server) -> list[str]:
        return (await server.run(tail, check=False)).stdout.splitlines()

    found = session.on_hosts(selected_app_hosts(config, session.selection), step)
    missing = f"{config.service} has no audit log"
    return require_found(found, missing, "a deploy writes it (`dockyard deploy`)")
