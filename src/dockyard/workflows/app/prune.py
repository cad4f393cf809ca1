"""`prune all|containers|images`: what deploys leave behind, on every selected app host, with
the builders a deploy's own prune uses.

removed = prune(session, containers=True, images=True)   # {host: a line per removal}
"""

from __future__ import annotations

from dockyard.commands import prune as prune_commands
from dockyard.commands.base import Command
from dockyard.errors import DockyardError, StepFailed
from dockyard.facts.prune import parse_pruned
from dockyard.plan.targets import app_hosts
from dockyard.workflows.lock import on_hosts_locked
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import tidy as swarm_tidy

AGAIN = "run the prune again once that is fixed"


def prune(session: Session, *, containers: bool, images: bool) -> dict[str, list[str]]:
    """Stopped containers beyond retain_containers (per role), and images no container uses
    (`latest` kept), under the deploy lock (Kamal's prune takes it too, so a prune cannot race
    a deploy's new image): {host: what was removed}. A host where a removal failed is an error
    naming it and the engine's words, once every host has done what it could. With backend:
    swarm, the task history and every node's images (workflows/swarm/tidy.py)."""
    if session.config.dockyard.backend == "swarm":
        return swarm_tidy.prune(session, containers=containers, images=images)
    config = session.config
    engine, service = config.runtime, config.service
    parts: list[Command] = []
    if containers:
        keep = config.retain_containers
        parts.append(prune_commands.containers(engine, service, config.destination, keep))
    if images:
        parts.append(prune_commands.images(engine, service))
    command = prune_commands.reported(*parts)

    async def step(server: Server) -> list[str]:
        try:
            pruned = parse_pruned((await server.run(command)).stdout)
        except DockyardError as error:
            raise StepFailed(server.host, "pruning", error, AGAIN) from error
        if pruned.failure is not None:
            raise DockyardError(
                f"{server.host}: pruning failed: {pruned.failure}; "
                f"{len(pruned.removed)} removed before; {AGAIN}"
            )
        return [f"removed {what}" for what in pruned.removed]

    return on_hosts_locked(session, app_hosts(config, session.selection), step)
