"""`prune all|containers|images`: what deploys leave behind, on every selected app host.

removed = prune(session, containers=True, images=True)   # {host: a line per removal}
"""

from __future__ import annotations

from dockyard.commands import prune as prune_commands
from dockyard.commands.base import Command, all_of
from dockyard.plan.targets import app_hosts
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session


def prune(session: Session, *, containers: bool, images: bool) -> dict[str, list[str]]:
    """Stopped containers beyond retain_containers, and images no container uses (`latest`
    kept): {host: what was removed}."""
    config = session.config
    engine, service = config.runtime, config.service
    parts: list[Command] = []
    if containers:
        keep = config.retain_containers
        parts.append(prune_commands.containers(engine, service, config.destination, keep))
    if images:
        parts.append(prune_commands.images(engine, service))
    command = all_of(*parts)

    async def step(server: Server) -> list[str]:
        return (await server.run(command)).stdout.splitlines()

    return session.on_hosts(app_hosts(config, session.selection), step)
