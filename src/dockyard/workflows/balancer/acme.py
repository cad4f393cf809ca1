"""Booting the edges with proxy/ssl: true: one certificate by ACME, served by every edge.

    changed = await boot_with_acme(servers, controller, container, names)

The first edge orders (commands/edge_acme.py). On its first boot the other edge runs as a
forwarder of ACME challenges before the first edge starts ordering, so a challenge succeeds
whichever edge the CA reaches. Once the first edge holds a certificate for every name, its
stored certificates are copied into the other edge's storage and the other edge loads its full
config, which serves the copies. Each edge renews on its own afterwards; every boot copies the
first edge's certificates again (so when the other edge's renewal window opens it finds the
first's renewal in its storage and orders nothing), unless the other edge holds one that
expires later (its own renewal), which a copy would replace with an older one. A first edge
that obtains nothing within CERTIFICATE_WAIT stops the boot with Caddy's last error; the other
edge is then left as it was (a forwarder on a first boot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from dockyard.commands import edge as edge_commands
from dockyard.commands import edge_mover
from dockyard.commands.edge_acme import COPY, FORWARDER, OWNER
from dockyard.errors import CertificateError
from dockyard.facts.crontab import why_not_set
from dockyard.facts.edge import last_error, stored_expiries, stored_names
from dockyard.redaction import Secret
from dockyard.workflows.balancer.edge import EdgeController
from dockyard.workflows.server import Server

CERTIFICATE_WAIT = 90.0  # seconds the first edge has to hold a certificate for every name
POLL = 1.0
RETRY = "dockyard lb boot"  # the command that boots the edges again (a swarm's: deploy)
BOOT_AGAIN = "run `{retry}` again once this is fixed"
COPY_AGAIN = "this edge may serve an older certificate: run `{retry}` again"

Controller = Callable[[Server, str], EdgeController]


async def boot_with_acme(
    servers: Sequence[Server],
    controller: Controller,
    container: edge_commands.EdgeContainer,
    names: Sequence[str],
    retry: str = RETRY,
    warn: Callable[[str, str], None] = lambda host, why: None,
) -> dict[str, bool]:
    """{edge: True when it started or loaded a new config}, in the edges' order. `retry`: the
    command a failure says to run again. With two edges, each gets the certificate mover
    (commands/edge_mover.py); `warn(edge, why)` where it could not be set up."""
    owner, *others = servers
    again, copy_again = BOOT_AGAIN.format(retry=retry), COPY_AGAIN.format(retry=retry)
    changed: dict[str, bool] = {}
    held: dict[str, str] = {}
    for other in others:
        held[other.host] = await _stored(other, again)
        if not set(names) <= stored_names(held[other.host]):
            with other.step("booting the load balancer edge as a forwarder of ACME challenges",
                            again):  # fmt: skip
                changed[other.host] = await controller(other, FORWARDER).boot(container)
    with owner.step("booting the load balancer edge", again):
        changed[owner.host] = await controller(owner, OWNER).boot(container)
    archive = await owner_certificates(owner, names, CERTIFICATE_WAIT, retry)
    for other in others:
        if not later_held(held[other.host], archive):
            with other.step("copying the first edge's certificates", copy_again):
                await other.run(edge_commands.write_certificates(other.engine), input=archive)
        with other.step("booting the load balancer edge", again):
            loaded = await controller(other, COPY).boot(container)
        changed[other.host] = changed.get(other.host, False) or loaded
    if others:
        peers = {owner.host: others[0].host, **{other.host: owner.host for other in others}}
        for server in servers:
            await _mover(server, peers[server.host], container.http_port, again, warn)
    return {server.host: changed[server.host] for server in servers}


async def _mover(
    server: Server, peer: str, port: int, again: str, warn: Callable[[str, str], None]
) -> None:
    with server.step("setting up the edge's certificate mover", again):
        done = await server.run(edge_mover.install(peer, port), input=edge_mover.MOVER_SH)
    why = why_not_set(done.stdout)
    if why is not None:
        warn(server.host, f"warning: the other edge's certificate renewals will not reach this "
             f"edge by themselves ({why}): it renews its own, and each deploy copies the first "
             "edge's")  # fmt: skip


async def owner_certificates(
    owner: Server, names: Sequence[str], wait: float, retry: str = RETRY
) -> Secret:
    """The first edge's stored certificates (a base64 tar, private keys included), once it
    holds one for every name; CertificateError with Caddy's last error after `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        with owner.step("reading the edge's certificates", BOOT_AGAIN.format(retry=retry)):
            archive = Secret(
                (await owner.run(edge_commands.read_certificates(owner.engine))).stdout
            )
        missing = [name for name in names if name not in stored_names(archive)]
        if not missing:
            return archive
        if time.monotonic() >= deadline:
            raise await _no_certificate(owner, missing, wait, retry)
        await asyncio.sleep(POLL)


def later_held(theirs: str, ours: str) -> list[str]:
    """The names whose certificate in `theirs` (an edge's stored certificates) expires later
    than the one in `ours` (the first edge's): that edge renewed them itself since."""
    mine, first = stored_expiries(theirs), stored_expiries(ours)
    return sorted(name for name, expires in mine.items() if name in first and expires > first[name])


async def _stored(server: Server, again: str) -> str:
    with server.step("reading the edge's certificates", again):
        return Secret((await server.run(edge_commands.read_certificates(server.engine))).stdout)


async def _no_certificate(
    owner: Server, missing: list[str], wait: float, retry: str
) -> CertificateError:
    with owner.step("reading the edge's log", BOOT_AGAIN.format(retry=retry)):
        error = last_error((await owner.run(edge_commands.recent_errors(owner.engine))).stdout)
    return CertificateError(
        f"{owner.host}: the first load balancer edge obtained no certificate for "
        f"{', '.join(missing)} within {wait:.0f} s (ACME: {error or 'no error logged'}); make "
        "the names resolve to the edges and their HTTP port reachable from the CA, then run "
        f"`{retry}` again (the edge keeps trying meanwhile)"
    )
