"""Form or join the app's swarm: every server a node, three managers when there are three or more
servers, and the app's attachable overlay network. Safe to run again: a node already in this
swarm is left as it is; a node in another swarm is refused before anything changes.

    formed = await form_swarm(servers, "shop-swarm")   # {host: what happened to it}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands import swarm as commands
from dockyard.errors import CommandFailed, DockyardError
from dockyard.facts.swarm import SwarmState, parse_swarm_state
from dockyard.redaction import Secret
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server

MANAGERS = 3  # raft keeps a majority with one of three managers down
NOTHING_CHANGED = "nothing was changed; run it again"
AGAIN = "the nodes before it joined; run it again to go on"


@dataclass(frozen=True)
class Formed:
    by_host: dict[str, str]  # what happened to each server, in the config's order
    network: str


async def form_swarm(servers: Sequence[Server], network: str) -> Formed:
    states = await on_servers(servers, read_state)
    leader = ours(servers, states)
    said: dict[str, str] = {}
    if leader is None:
        leader = servers[0]
        address = await own_address(leader)
        with leader.step("forming the swarm", NOTHING_CHANGED):
            await leader.run(commands.swarm_init(address))
        states[leader.host] = SwarmState("active", address=address, manager=True)
        said[leader.host] = "formed the swarm (manager)"
    managers = sum(1 for s in states.values() if s.active and s.manager)
    tokens: dict[str, Secret] = {}
    for server in servers:
        state = states[server.host]
        if state.active:
            said.setdefault(server.host, f"in the swarm ({_role(state.manager)})")
            continue
        role: commands.NodeRole = "manager" if managers < MANAGERS else "worker"
        if role not in tokens:
            tokens[role] = await _token(leader, role)
        await join(server, tokens[role], states[leader.host].address)
        managers += role == "manager"
        said[server.host] = f"joined the swarm ({role})"
    await ensure_network(leader, network)
    return Formed({s.host: said[s.host] for s in servers}, network)


async def read_state(server: Server) -> SwarmState:
    with server.step("reading its swarm state", NOTHING_CHANGED):
        result = await server.run(commands.swarm_state())
    return parse_swarm_state(server.host, result.stdout)


def ours(servers: Sequence[Server], states: dict[str, SwarmState]) -> Server | None:
    """The first manager among the servers (None: no server is in a swarm yet); its swarm is
    ours. DockyardError for a node in a state or in a swarm that is not ours."""
    for server in servers:
        state = states[server.host]
        if state.state not in ("inactive", "active"):
            raise DockyardError(
                f"{server.host}: its swarm state is {state.state}; fix or leave it there "
                "(`docker swarm leave --force`), then run this again"
            )
    managers = [s for s in servers if states[s.host].active and states[s.host].manager]
    if not managers:
        return None
    cluster = states[managers[0].host].cluster  # ours: the swarm of the first manager
    addresses = {states[s.host].address for s in managers if states[s.host].cluster == cluster}
    for server in servers:
        state = states[server.host]
        foreign = state.active and (
            state.cluster != cluster if state.manager else not set(state.managers) & addresses
        )
        if foreign:
            raise DockyardError(
                f"{server.host}: already in another swarm (node {state.node_id}); make it "
                "leave that swarm there (`docker swarm leave`), or remove it from the config"
            )
    return managers[0]


async def own_address(server: Server) -> str:
    with server.step("reading its own address", NOTHING_CHANGED):
        result = await server.run(commands.own_address())
    address = result.stdout.strip()
    if not address:
        raise DockyardError(f"{server.host}: sshd did not say the server's address; {AGAIN}")
    return address


async def _token(leader: Server, role: commands.NodeRole) -> Secret:
    with leader.step(f"reading the swarm's {role} join token", AGAIN):
        result = await leader.run(commands.join_token(role))
    return Secret(result.stdout.strip())


async def join(server: Server, token: Secret, manager: str) -> None:
    address = await own_address(server)
    with server.step("joining the swarm", AGAIN):
        await server.run(commands.swarm_join(address, token, manager))


async def ensure_network(leader: Server, name: str) -> None:
    """The app's overlay network, made once; a network of that name that is not an attachable
    overlay is refused."""
    found = await leader.run(commands.network_state(name), check=False)
    missing = f"network {name} not found" in found.stderr or "No such network" in found.stderr
    if not found.ok and not missing:
        raise CommandFailed(found)
    if found.ok:
        if found.stdout.split() != ["overlay", "true"]:
            raise DockyardError(
                f"{leader.host}: network {name} is not an attachable overlay network "
                f"({found.stdout.strip()}); name another in x-dockyard/swarm/network"
            )
        return
    with leader.step(f"creating the overlay network {name}", AGAIN):
        await leader.run(commands.network_create(name))


def _role(manager: bool) -> str:
    return "manager" if manager else "worker"
