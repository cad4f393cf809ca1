"""`lb reboot|logs|remove`: replace, read and remove the load balancer edges' containers.

rebooted = reboot(session)           # the edges, replaced one at a time
lines = logs(session, query)         # {edge: its Caddy's log lines}
removed = remove(session)            # the edges: each container, its state and data gone

The `*_on` functions do the work on a transport (what the scenario tests drive).
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.commands import edge as edge_commands
from dockyard.commands.logs import LogQuery, container_logs
from dockyard.config import Config
from dockyard.errors import UsageError
from dockyard.ssh.transport import Transport
from dockyard.workflows.balancer.manage import NO_BALANCER, Edges, edge_secrets
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.found import require_present
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.lock import run_locked
from dockyard.workflows.logs import read
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

NOT_REPLACED = "the edge was not replaced; run `dockyard lb reboot` again once this is fixed"
DOWN = "the edge may be down: run `dockyard lb boot` once this is fixed"
REMOVE_AGAIN = "run `dockyard lb remove` again once this is fixed"
NO_EDGE = f"no edge has a container ({edge_commands.CONTAINER})"
BOOT_IT = "boot them with `dockyard lb boot` (a deploy boots them too)"


async def reboot_on(transport: Transport, config: Config, secrets: Mapping[str, str]) -> list[str]:
    """Replace each edge's container (a new image or ports), one edge at a time so that the
    other serves meanwhile; a failure stops before the next edge. Returns the edges."""
    edges = Edges.of(config, transport, secrets)
    for server in edges.servers():
        with server.step("removing the load balancer edge's container", NOT_REPLACED):
            await server.run(edge_commands.remove_container(server.engine))
        with server.step("booting the load balancer edge", DOWN):
            await edges.controller(server).boot(edges.container)
    return list(edges.hosts)


async def logs_on(transport: Transport, config: Config, query: LogQuery) -> dict[str, list[str]]:
    """Each edge's Caddy log (JSON lines); NotFoundError when no edge has a container."""
    edges = Edges.of(config, transport)

    async def step(server: Server) -> list[str] | None:
        return await read(server, container_logs(server.engine, edge_commands.CONTAINER, query))

    return require_present(await on_servers(edges.servers(), step), NO_EDGE, BOOT_IT)


async def remove_on(transport: Transport, config: Config) -> list[str]:
    """Each edge's container, state and data volume. Returns the edges."""
    edges = Edges.of(config, transport)

    async def step(server: Server) -> None:
        with server.step("removing the load balancer edge", REMOVE_AGAIN):
            await server.run(edge_commands.remove(server.engine))

    return list(await on_servers(edges.servers(), step))


def reboot(session: Session) -> list[str]:
    secrets = edge_secrets(session)
    return run_locked(session, lambda transport: reboot_on(transport, session.config, secrets))


def logs(session: Session, query: LogQuery) -> dict[str, list[str]]:
    return session.run(lambda transport: logs_on(transport, session.config, query))


def follow_logs(session: Session, query: LogQuery) -> list[str]:
    """The system ssh that follows the first edge's log."""
    balancer = session.config.dockyard.load_balancer
    if balancer is None:
        raise UsageError(NO_BALANCER)
    command = container_logs(session.config.runtime, edge_commands.CONTAINER, query)
    return ssh_argv(session.config.ssh, balancer.hosts[0], command)


def remove(session: Session) -> list[str]:
    return run_locked(session, lambda transport: remove_on(transport, session.config))
