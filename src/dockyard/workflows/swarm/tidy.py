"""`app exec`, `app remove`, `remove` and `prune` with x-dockyard/backend: swarm.

    results = run_in_task(session, "bin/rails db:migrate", {"A": "1"})   # {host: Result}
    done = remove_stack(session)        # {host: what went}: the stack, then the edges
    removed = remove_everything(session)  # the app, the accessories, the overlay network
    pruned = prune(session, containers=True, images=True)   # {host: a line per removal}

`remove` leaves the swarm formed (its nodes stay in it): `docker swarm leave --force` on each
node dissolves it (docs/swarm.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

from dockyard.commands import edge as edge_commands
from dockyard.commands import swarm as commands
from dockyard.config.objects import Config
from dockyard.errors import NotFoundError, Result
from dockyard.facts.swarm import running_container
from dockyard.plan.swarm import edge_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.lock import run_locked
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import accessories
from dockyard.workflows.swarm.cron import remove_jobs
from dockyard.workflows.swarm.manage import swarm_config, swarm_nodes
from dockyard.workflows.swarm.release import deployed_versions, versions_file

UNCHANGED = "nothing was changed"
AGAIN = "run it again to finish"
POLL = 1.0  # seconds between two tries to remove the overlay network
NETWORK_SECONDS = 30.0  # how long its endpoints may take to leave after `stack rm`
SWARM_STAYS = "the swarm stays formed: `docker swarm leave --force` on each node dissolves it"


async def task_container(transport: Transport, config: Config, role: str) -> tuple[Server, str]:
    """The host and container of a running task of the role (NotFoundError when none runs
    on a server of the config)."""
    manager, hosts = await swarm_nodes(transport, config)
    service = f"{config.stack_name}_{role}"
    with manager.step(f"finding a running task of {service}", UNCHANGED):
        found = await manager.run(commands.running_tasks(service))
    task = running_container(found.stdout, hosts)
    if task is None:
        raise NotFoundError(
            f"{service} has no running task on a server of the config; deploy it first: "
            "`dockyard deploy`"
        )
    return Server(transport, task[0], config.runtime), task[1]


def run_in_task(
    session: Session, role: str, command: str, env: Mapping[str, str]
) -> dict[str, Result]:
    """`app exec --reuse` on the swarm: the command in one running task of the role, its env
    exported first; {the task's host: what it printed and its exit status}."""
    config = swarm_config(session)

    async def work(transport: Transport) -> dict[str, Result]:
        host, container = await task_container(transport, config, role)
        return {host.host: await host.run(commands.exec_in_task(container, command, env),
                                          check=False)}  # fmt: skip

    return session.run(work)


def interactive_in_task(
    session: Session, role: str, command: str, env: Mapping[str, str]
) -> list[str]:
    """The system ssh with a TTY that runs the command in a running task of the role."""
    config = swarm_config(session)

    async def work(transport: Transport) -> tuple[str, str]:
        host, container = await task_container(transport, config, role)
        return host.host, container

    host, container = session.run(work)
    remote = commands.exec_in_task(container, command, env, interactive=True)
    return ssh_argv(config.ssh, host, remote, tty=True)


async def remove_app_over(
    transport: Transport, config: Config, manager: Server | None = None
) -> dict[str, str]:
    """The job scheduler with its runs (workflows/swarm/cron.py), the app's stack (its
    services, secrets, stack file and recorded versions) on the first manager, then the edges
    on their hosts: {host: what went there}."""
    manager = manager or (await swarm_nodes(transport, config))[0]
    jobs = await remove_jobs(transport, config)
    stack = config.stack_name
    with manager.step(f"removing the stack {stack}", AGAIN):
        await manager.run(commands.stack_remove(stack))
        await manager.run(commands.remove_stack_dir(versions_file(config)))
    said = {manager.host: f"stack {stack} removed (its services and secrets)"}
    for host, what in jobs.items():
        said[host] = f"{said[host]}; {what}" if host in said else what

    async def edge(server: Server) -> str:
        with server.step("removing the edge", AGAIN):
            await server.run(edge_commands.remove(server.engine))
        return "edge removed"

    edges = [Server(transport, host, config.runtime) for host in edge_hosts(config)]
    for host, what in (await on_servers(edges, edge)).items():
        said[host] = f"{said[host]}; {what}" if host in said else what
    return said


def remove_app(session: Session) -> dict[str, str]:
    """`app remove` on the swarm, under the deploy lock."""
    config = swarm_config(session)
    return run_locked(session, lambda transport: remove_app_over(transport, config))


async def remove_network(manager: Server, network: str, seconds: float) -> str | None:
    """The app's overlay network, once its endpoints left it (tried until `seconds`): None
    when it is still in use then (Swarm may take longer to forget a task that ended on a node
    whose engine stopped); what uses it is then said by the caller."""
    deadline = time.monotonic() + seconds
    while True:
        found = await manager.run(commands.network_remove(network), check=False)
        if found.ok or "not found" in found.stderr:
            return f"network {network} removed"
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(POLL)


async def remove_everything_over(
    transport: Transport, config: Config, contexts: Sequence[AccessoryContext]
) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """(app, accessories, kept): the app's stack and edges, each accessory's stack and data,
    then the overlay network; the swarm stays."""
    manager, _ = await swarm_nodes(transport, config)
    app = await remove_app_over(transport, config, manager)
    removed = await accessories.remove_all(transport, contexts)
    network = config.swarm_network
    kept = [SWARM_STAYS]
    with manager.step(f"removing the network {network}", AGAIN):
        gone = await remove_network(manager, network, NETWORK_SECONDS)
    if gone is None:
        kept.append(
            f"network {network} kept: a task Swarm has not forgotten yet still uses it "
            f"{NETWORK_SECONDS:g}s after; `docker network rm {network}` there later"
        )
    else:
        app[manager.host] = f"{app[manager.host]}; {gone}"
    return app, removed, {manager.host: kept}


async def prune_over(
    transport: Transport, config: Config, *, containers: bool, images: bool
) -> dict[str, list[str]]:
    """Swarm's task history down to retain_containers a slot (and the ended task containers
    on every node), and on every node the app's images no container uses, but those of the
    versions `rollback` may go back to: {host: a line per removal}."""
    manager, hosts = await swarm_nodes(transport, config)
    pruned: dict[str, list[str]] = {}
    if containers:
        limit = config.retain_containers
        with manager.step("limiting the task history", UNCHANGED):
            await manager.run(commands.task_history_limit(limit))
        pruned[manager.host] = [f"task history: {limit} ended tasks kept a slot"]
    keep = await deployed_versions(manager, config) if images else ()
    repository = config.absolute_image.rsplit(":", 1)[0]

    async def node(server: Server) -> list[str]:
        lines: list[str] = []
        with server.step("pruning", "run the prune again once that is fixed"):
            if containers:
                found = await server.run(commands.ended_task_containers(config.stack_name))
                lines += found.stdout.splitlines()
            if images:
                found = await server.run(commands.unused_versions(repository, keep))
                lines += found.stdout.splitlines()
        return [line for line in lines if line.strip()]

    nodes = [Server(transport, host, config.runtime) for host in hosts.values()]
    for host, lines in (await on_servers(nodes, node)).items():
        pruned[host] = [*pruned.get(host, []), *lines]
    return pruned


def prune(session: Session, *, containers: bool, images: bool) -> dict[str, list[str]]:
    config = swarm_config(session)
    return run_locked(
        session,
        lambda transport: prune_over(transport, config, containers=containers, images=images),
    )
