"""`details` and `audit`: the whole app on each of its hosts, read only.

details(session)   # {host: the proxy's and the app's containers, `name image status` each}
audit(session)     # {host: the last 50 lines of the app's audit log}
"""

from __future__ import annotations

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import Seq
from dockyard.plan.targets import app_hosts
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

AUDIT_LINES = 50


def details(session: Session) -> dict[str, list[str]]:
    engine, service = session.config.runtime, session.config.service
    listing = Seq(
        ";", (proxy_commands.listing(engine), app_commands.service_containers(engine, service))
    )

    async def step(server: Server) -> list[str]:
        return (await server.run(listing)).stdout.splitlines()

    return session.on_hosts(app_hosts(session.config, session.selection), step)


def audit(session: Session) -> dict[str, list[str]]:
    config = session.config
    tail = app_commands.audit_tail(
        app_commands.audit_log(config.service, config.destination), AUDIT_LINES
    )

    async def step(server: Server) -> list[str]:
        return (await server.run(tail, check=False)).stdout.splitlines()

    return session.on_hosts(app_hosts(config, session.selection), step)
