"""`details` and `audit`: the whole app on each of its hosts, read only.

details(session)   # {host: the proxy's and the app's containers, `name image status` each}
audit(session)     # {host: the last 50 lines of the app's audit log}
"""

from __future__ import annotations

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import Seq
from dockyard.commands.proxy import CONTAINER
from dockyard.plan.targets import selected_app_hosts
from dockyard.workflows.app.manage import DEPLOY_IT
from dockyard.workflows.found import require_found
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

AUDIT_LINES = 50


def details(session: Session) -> dict[str, list[str]]:
    """NotFoundError when the app has no container on any selected host (whatever the proxy)."""
    engine, service = session.config.runtime, session.config.service
    listing = Seq(
        ";", (proxy_commands.listing(engine), app_commands.service_containers(engine, service))
    )
    apps: dict[str, list[str]] = {}

    async def step(server: Server) -> list[str]:
        lines = (await server.run(listing)).stdout.splitlines()
        apps[server.host] = [line for line in lines if line.split(" ", 1)[0] != CONTAINER]
        return lines

    found = session.on_hosts(selected_app_hosts(session.config, session.selection), step)
    require_found(apps, f"{service} has no container", DEPLOY_IT)
    return found


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
