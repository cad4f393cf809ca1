"""`dockyard swarm setup|status|nodes|stack`: the app's swarm as the CLI runs it (deploys,
rollbacks and scaling: release.py).

formed = setup(session)          # every server a node, the overlay network (safe to rerun)
states = status(session)         # {host: its swarm state}
nodes = nodes(session)           # the swarm's nodes, as its first manager lists them
text = stack(session)            # the stack file of this version: the way out of dockyard
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from dockyard.commands import swarm as commands
from dockyard.commands.logs import LogQuery, service_logs
from dockyard.commands.swarm_stack import stack_file
from dockyard.config.objects import Config
from dockyard.errors import DockyardError, NotFoundError
from dockyard.facts.swarm import (
    ImageCommand,
    Node,
    SwarmState,
    parse_image_command,
    parse_ipvs,
    parse_nodes,
    parse_tasks,
)
from dockyard.plan.overview import ContainerDetail
from dockyard.plan.swarm import SwarmStack, secret_names, swarm_stack, task_details
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.logs import read
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm.form import Formed, form_swarm, ours, read_state

SWARM_BACKEND = "set x-dockyard/backend: swarm first (docs/swarm.md)"
DEPLOY_ON_SWARM = "deploy it first: `dockyard deploy`"


def swarm_config(session: Session) -> Config:
    if session.config.dockyard.backend != "swarm":
        raise DockyardError(f"{session.config.service} does not deploy to a swarm: {SWARM_BACKEND}")
    return session.config


def setup(session: Session) -> Formed:
    config = swarm_config(session)

    async def work(transport: Transport) -> Formed:
        servers = [Server(transport, host, config.runtime) for host in config.all_hosts]
        return await form_swarm(servers, config.swarm_network)

    return session.run(work)


def status(session: Session) -> dict[str, SwarmState]:
    """Each server's swarm state, and whether its kernel runs IPVS (the routing mesh)."""
    config = swarm_config(session)

    async def step(server: Server) -> SwarmState:
        state = await read_state(server)
        with server.step("looking for IPVS in its kernel", "nothing was changed"):
            probed = await server.run(commands.ipvs_probe())
        return replace(state, ipvs=parse_ipvs(probed.stdout, commands.IPVS_MARK))

    return session.on_hosts(list(config.all_hosts), step)


def nodes(session: Session) -> tuple[Node, ...]:
    config = swarm_config(session)

    async def work(transport: Transport) -> tuple[Node, ...]:
        manager = await first_manager(transport, config)
        with manager.step("listing the swarm's nodes", "nothing was changed"):
            result = await manager.run(commands.node_list())
        return parse_nodes(result.stdout)

    return session.run(work)


async def first_manager(transport: Transport, config: Config) -> Server:
    return (await swarm_nodes(transport, config))[0]


async def swarm_nodes(transport: Transport, config: Config) -> tuple[Server, dict[str, str]]:
    """The first manager, and the host of each node ID in the swarm."""
    servers = [Server(transport, host, config.runtime) for host in config.all_hosts]
    states = await on_servers(servers, read_state)
    manager = ours(servers, states)
    if manager is None:
        raise DockyardError("no server is in a swarm yet: run `dockyard swarm setup` first")
    return manager, {states[s.host].node_id: s.host for s in servers if states[s.host].active}


def details(session: Session) -> dict[str, list[ContainerDetail]]:
    """`details` on the swarm: {node: its running tasks}, as the first manager lists them;
    NotFoundError when the app has none."""
    config = swarm_config(session)

    async def work(transport: Transport) -> dict[str, list[ContainerDetail]]:
        manager = await first_manager(transport, config)
        with manager.step("listing the stack's tasks", "nothing was changed"):
            listed = await manager.run(commands.stack_tasks(config.stack_name), check=False)
        return task_details(config, parse_tasks(listed.stdout) if listed.ok else ())

    found = session.run(work)
    if not found:
        raise NotFoundError(f"{config.service} has no task running on the swarm; {DEPLOY_ON_SWARM}")
    return found


def logs(session: Session, query: LogQuery) -> dict[str, dict[str, list[str] | None]]:
    """`app logs` on the swarm: {first manager: {role: every task's lines}}, the selected roles
    (-r) in the config's order; None for a role with no service; NotFoundError when none has."""
    config = swarm_config(session)
    roles = [r.name for r in config.roles if session.selection.role_ok(r.name)]

    async def work(transport: Transport) -> dict[str, dict[str, list[str] | None]]:
        manager = await first_manager(transport, config)
        commands = [service_logs(f"{config.stack_name}_{role}", query) for role in roles]
        found = await asyncio.gather(*(read(manager, command) for command in commands))
        return {manager.host: dict(zip(roles, found, strict=True))}

    found = session.run(work)
    if not any(lines is not None for by_role in found.values() for lines in by_role.values()):
        raise NotFoundError(f"{config.service} has no service on the swarm; {DEPLOY_ON_SWARM}")
    return found


async def manager_host(transport: Transport, config: Config) -> str:
    return (await first_manager(transport, config)).host


def update_seconds(config: Config, stack: SwarmStack) -> float:
    """How long the updates may take: each batch of tasks may take deploy_timeout to become
    healthy, then is watched for `monitor` seconds and the old tasks stop."""
    longest = 0.0
    for service in stack.spec.services:
        batches = -(-max(service.replicas, 1) // service.update_parallelism)
        batch = config.deploy_timeout + service.monitor + service.stop_grace_period
        longest = max(longest, 2 * batches * batch)  # twice: an update, then its rollback
    return longest + 30


def stack(session: Session) -> str:
    """The stack file of this version (its env files hold secrets: they are not printed)."""
    config = swarm_config(session)
    secrets = session.secret_values(secret_names(config))

    async def work(transport: Transport) -> str:
        primary = Server(transport, config.all_hosts[0], config.runtime)
        image = await image_command(primary, config.absolute_image)
        return stack_file(swarm_stack(config, secrets, image).spec)

    return session.run(work)


async def image_command(server: Server, image: str, *, pull: bool = True) -> ImageCommand:
    """What the image runs (its entrypoint and command), read where it is (`pull`: pulled
    there first; a deploy delivered it already)."""
    with server.step(f"reading what {image} runs", "nothing was changed"):
        if pull:
            await server.run(commands.image_pull(image))
        result = await server.run(commands.image_command(image))
    return parse_image_command(server.host, result.stdout)
