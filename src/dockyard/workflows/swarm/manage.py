"""`dockyard swarm setup|status|nodes|stack`: the app's swarm as the CLI runs it (deploys,
rollbacks and scaling: release.py).

formed = setup(session)          # every server a node, the overlay network (safe to rerun)
states = status(session)         # {host: its swarm state}
nodes = nodes(session)           # the swarm's nodes, as its first manager lists them
text = stack(session)            # the stack file of this version: the way out of dockyard
"""

from __future__ import annotations

from dockyard.commands import swarm as commands
from dockyard.commands.swarm_stack import stack_file
from dockyard.config.objects import Config
from dockyard.errors import DockyardError
from dockyard.facts.swarm import ImageCommand, Node, SwarmState, parse_image_command, parse_nodes
from dockyard.plan.swarm import SwarmStack, secret_names, swarm_stack
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm.form import Formed, form_swarm, ours, read_state

SWARM_BACKEND = "set x-dockyard/backend: swarm first (docs/swarm.md)"


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
    config = swarm_config(session)
    return session.on_hosts(list(config.all_hosts), read_state)


def nodes(session: Session) -> tuple[Node, ...]:
    config = swarm_config(session)

    async def work(transport: Transport) -> tuple[Node, ...]:
        manager = await first_manager(transport, config)
        with manager.step("listing the swarm's nodes", "nothing was changed"):
            result = await manager.run(commands.node_list())
        return parse_nodes(result.stdout)

    return session.run(work)


async def first_manager(transport: Transport, config: Config) -> Server:
    servers = [Server(transport, host, config.runtime) for host in config.all_hosts]
    states = await on_servers(servers, read_state)
    manager = ours(servers, states)
    if manager is None:
        raise DockyardError("no server is in a swarm yet: run `dockyard swarm setup` first")
    return manager


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
