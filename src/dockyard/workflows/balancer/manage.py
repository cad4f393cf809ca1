"""`lb …`: the load balancer edges of `x-dockyard: load_balancer:`, as the CLI runs them.

booted = boot(session)                  # {edge: True when it started or loaded a new config}
left = drain(session, "10.0.0.2")      # {edge: requests still in flight there at the timeout}
undrain(session, "10.0.0.2")
found = details(session)               # {edge: EdgeDetails}

Each takes the deploy lock, as `proxy boot` does; the `*_on` functions do the work on a
transport (what the scenario tests drive).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dockyard.commands import edge as edge_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.app import NETWORK
from dockyard.commands.base import all_of
from dockyard.commands.edge_acme import COPY, OWNER
from dockyard.commands.edge_config import EdgeSettings, EdgeSite
from dockyard.config import Config
from dockyard.errors import DockyardError, HostUnreachable, StepFailed, UsageError
from dockyard.facts.caddy import UpstreamLoad
from dockyard.plan.balancer import (
    acme_names,
    as_acme_role,
    edge_settings,
    edge_sites,
    web_upstreams,
)
from dockyard.plan.edge_tls import acme_root, certificate_secret_names, edge_certificates
from dockyard.redaction import Secret
from dockyard.ssh.transport import Transport
from dockyard.workflows.balancer.acme import BOOT_AGAIN, RETRY, boot_with_acme
from dockyard.workflows.balancer.edge import EdgeController
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.lock import run_locked
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

DRAIN_AGAIN = "run `dockyard lb drain {host}` again once this is fixed"
UNDRAIN_AGAIN = "the host may still be out of rotation: run `dockyard lb undrain {host}` again"
# Seconds from the drained flag to the edges' next health check of that host (every 0.5 s):
# once passed, no new request goes there
CHECK_SETTLE = 1.0
POLL = 0.1
# Seconds an edge has to take an added web host in: Go re-reads the hosts file within 5 s,
# then two passed checks 0.5 s apart
POOL_WAIT = 30.0
UP_POLL = 0.5
POOL_AGAIN = "run `dockyard lb boot` again once this is fixed (the pool is changed step by step)"
NO_BALANCER = (
    "no load balancer in the config: add x-dockyard/load_balancer/hosts "
    "(see `dockyard docs x-dockyard`)"
)


@dataclass(frozen=True)
class Edges:
    """The edges, what they serve, and how to reach a host: what every step needs."""

    hosts: tuple[str, ...]
    sites: tuple[EdgeSite, ...]
    settings: EdgeSettings
    container: edge_commands.EdgeContainer
    server: Callable[[str], Server]
    drain_timeout: float
    certificates: Mapping[str, Secret] = field(default_factory=dict)  # by site, for HTTPS
    acme_root: Secret | None = None  # the ACME CA's root to trust, when the config names one
    retry: str = RETRY  # the command that boots them again, which a failure names
    warn: Callable[[str, str], None] = lambda host, why: None  # (edge, a warning line)

    @classmethod
    def of(
        cls, config: Config, transport: Transport, secrets: Mapping[str, str] | None = None
    ) -> Edges:
        """`secrets`: those of certificate_secret_names, for what boots an edge (None: the
        steps that load no config, which need no certificate)."""
        balancer = config.dockyard.load_balancer
        if balancer is None:
            raise UsageError(NO_BALANCER)
        return cls.serving(config, transport, balancer.hosts, edge_sites, secrets)

    @classmethod
    def serving(
        cls,
        config: Config,
        transport: Transport,
        hosts: tuple[str, ...],
        sites: Callable[[Config, Mapping[str, str]], tuple[EdgeSite, ...]],
        secrets: Mapping[str, str] | None,
        *,
        network: str = NETWORK,
        retry: str = RETRY,
    ) -> Edges:
        """The edges on `hosts` serving `sites(config, certificates)`, their containers on
        `network` (a swarm's edges are on its overlay network)."""
        settings = edge_settings(config)
        container = edge_commands.EdgeContainer(
            config.dockyard.proxy_image, settings.http_port, settings.https_port, network
        )
        certificates = edge_certificates(config, secrets) if secrets is not None else {}
        root = acme_root(config, secrets) if secrets is not None else None
        return cls(
            hosts=hosts,
            sites=sites(config, certificates),
            settings=settings,
            container=container,
            server=lambda host: Server(transport, host, config.runtime),
            drain_timeout=config.drain_timeout,
            certificates=certificates,
            acme_root=root,
            retry=retry,
        )

    def controller(self, server: Server, role: str = "") -> EdgeController:
        """`role`: with ACME sites, the edge's (commands/edge_acme.py); by default the first
        edge owns the certificates and the other serves copies; each passes the challenges
        it cannot answer to the other."""
        role = role or (OWNER if server.host == self.hosts[0] else COPY)
        peer = next((host for host in self.hosts if host != server.host), "")
        settings = as_acme_role(self.settings, role, peer)
        return EdgeController(server, self.sites, settings, self.certificates, self.acme_root)

    def servers(self) -> list[Server]:
        return [self.server(host) for host in self.hosts]

    def upstreams_of(self, host: str) -> list[str]:
        return web_upstreams(self.sites, host)

    def routes_on(self, host: str) -> list[str]:
        return [s.name for s in self.sites if any(u.startswith(f"{host}:") for u in s.upstreams)]


async def boot_on(
    transport: Transport,
    config: Config,
    secrets: Mapping[str, str],
    warn: Callable[[str, str], None] = lambda host, why: None,
) -> dict[str, bool]:
    """`secrets`: the certificates' (certificate_secret_names), required: an edge booted
    without its certificate would lose HTTPS. `warn(edge, line)`: what works less well."""
    edges = replace(Edges.of(config, transport, secrets), warn=warn)
    booted = await boot_edges(edges)
    changed = await change_pool(edges)
    return {edge: done or edge in changed for edge, done in booted.items()}


async def boot_edges(edges: Edges) -> dict[str, bool]:
    """Each edge runs the config the deploy config gives (started, or a new one loaded): with
    ACME sites one certificate for every edge (workflows/balancer/acme.py), else each edge on
    its own. {edge: True when it changed}; a failure says to run `edges.retry` again."""
    if edges.settings.acme is not None:
        names = acme_names(edges.sites)
        return await boot_with_acme(
            edges.servers(), edges.controller, edges.container, names, edges.retry, edges.warn
        )
    again = BOOT_AGAIN.format(retry=edges.retry)

    async def step(server: Server) -> bool:
        with server.step("booting the load balancer edge", again):
            return await edges.controller(server).boot(edges.container)

    return await on_servers(edges.servers(), step)


async def change_pool(edges: Edges) -> set[str]:
    """Bring each edge's pool (its hosts file's slots) to the config's web hosts, with no
    config load: the added hosts first, each edge waiting until its checks took them in;
    then the removed ones drained (their flag), idle on every edge, and their slots freed.
    Returns the edges whose pool changed."""

    async def read(server: Server) -> EdgeController:
        controller = edges.controller(server)
        with server.step("reading the load balancer edge's pool", POOL_AGAIN):
            await controller.state()
        return controller

    controllers = await on_servers(edges.servers(), read)
    adding = {edge: c for edge, c in controllers.items() if c.added()}
    for web in sorted({a for c in adding.values() for hs in c.added().values() for a in hs}):
        routes = [site for c in adding.values() for site, hs in c.added().items() if web in hs]
        await _flags(edges.server(web), sorted(set(routes)), drained=False)  # a stale one

    async def add(server: Server) -> None:
        controller = adding[server.host]
        added = controller.added()
        with server.step("adding web hosts to the load balancer edge's pool", POOL_AGAIN):
            await controller.add_hosts()
            await _wait_up(server.host, controller, added)

    await on_servers([c.server for c in adding.values()], add)
    removing = {edge: c for edge, c in controllers.items() if c.removed()}
    gone = {a for c in removing.values() for hs in c.removed().values() for a in hs}
    for web in sorted(gone):
        routes = [site for c in removing.values() for site, hs in c.removed().items() if web in hs]
        try:
            await _flags(edges.server(web), sorted(set(routes)), drained=True)
        except HostUnreachable:  # a dead host (why it leaves, often): its checks have it out
            continue
    if gone:
        await asyncio.sleep(CHECK_SETTLE)

    async def remove(server: Server) -> None:
        controller = removing[server.host]
        addresses = [
            f"{a}:{controller.ports[site]}" for site, hs in controller.removed().items() for a in hs
        ]
        with server.step("removing web hosts from the load balancer edge's pool", POOL_AGAIN):
            await _wait_idle(controller, addresses, edges.drain_timeout)
            await controller.free_removed()

    await on_servers([c.server for c in removing.values()], remove)
    return {*adding, *removing}


async def _flags(web: Server, routes: Sequence[str], *, drained: bool) -> None:
    what = "draining the removed host" if drained else "undraining the added host"
    with web.step(f"{what} on the load balancer", POOL_AGAIN):
        await web.run(all_of(*[proxy_commands.set_drained(r, drained) for r in routes]))


async def _wait_up(edge: str, controller: EdgeController, added: dict[str, list[str]]) -> None:
    deadline = time.monotonic() + POOL_WAIT
    while not await controller.slots_up(added):
        if time.monotonic() >= deadline:
            hosts = ", ".join(sorted({a for hs in added.values() for a in hs}))
            why = f"the edge's health checks did not take {hosts} in within {POOL_WAIT:g}s"
            raise StepFailed(edge, "adding web hosts to the load balancer edge's pool",
                             DockyardError(why), POOL_AGAIN)  # fmt: skip
        await asyncio.sleep(UP_POLL)


async def drain_on(transport: Transport, config: Config, host: str) -> dict[str, int]:
    """Take the web host out of every edge's rotation, then wait (up to drain_timeout) until
    no edge has a request in flight there: {edge: requests left in flight at the timeout}."""
    edges = Edges.of(config, transport)
    addresses = edges.upstreams_of(host)
    await _set_flags(edges, host, drained=True)
    await asyncio.sleep(CHECK_SETTLE)

    async def step(server: Server) -> int:
        return await _wait_idle(edges.controller(server), addresses, edges.drain_timeout)

    left = await on_servers(edges.servers(), step)
    return {edge: count for edge, count in left.items() if count}


async def undrain_on(transport: Transport, config: Config, host: str) -> None:
    """Put the web host back: the edges take it again after two passed checks (about 1 s)."""
    edges = Edges.of(config, transport)
    edges.upstreams_of(host)
    await _set_flags(edges, host, drained=False)


async def _set_flags(edges: Edges, host: str, *, drained: bool) -> None:
    web = edges.server(host)
    flags = [proxy_commands.set_drained(name, drained) for name in edges.routes_on(host)]
    what = "draining" if drained else "undraining"
    after = (DRAIN_AGAIN if drained else UNDRAIN_AGAIN).format(host=host)
    with web.step(f"{what} the host on the load balancer", after):
        await web.run(all_of(*flags))


async def _wait_idle(edge: EdgeController, addresses: Sequence[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        loads = await edge.upstreams()
        busy = sum(loads[a].in_flight for a in addresses if a in loads)
        if not busy or time.monotonic() >= deadline:
            return busy
        await asyncio.sleep(POLL)


@dataclass(frozen=True)
class EdgeDetails:
    container: list[str]  # `name image status`, as the engine lists it; empty: none
    upstreams: dict[str, UpstreamLoad]  # by web host proxy address; empty when not running
    # by web host proxy address, then by site: "healthy", "drained" or "down: <why>", as the
    # edge's active check sees it now (facts/edge.upstream_health); empty when not running
    health: dict[str, dict[str, str]] = field(default_factory=dict)


async def details_on(transport: Transport, config: Config) -> dict[str, EdgeDetails]:
    edges = Edges.of(config, transport)

    async def step(server: Server) -> EdgeDetails:
        with server.step("reading the load balancer edge", "nothing was changed"):
            listed = (await server.run(edge_commands.listing(server.engine))).stdout
        container = [line for line in listed.splitlines() if line.strip()]
        edge = edges.controller(server)
        with server.step("reading the load balancer edge", "nothing was changed"):
            running = (await edge.state()).running
        loads = await edge.upstreams() if running else {}
        health: dict[str, dict[str, str]] = {}
        checked = [(s, u) for s in edges.sites if s.tasks is None for u in s.upstreams]
        if running:
            with server.step("checking the web hosts from the edge", "nothing was changed"):
                verdicts = await asyncio.gather(*(edge.check(s, u) for s, u in checked))
            for (site, upstream), verdict in zip(checked, verdicts, strict=True):
                health.setdefault(upstream, {})[site.name] = verdict
        # the probe's own upstream is a placeholder (`{http.request.hostport}`): no web host
        kept = {a: n for a, n in loads.items() if a not in ignored and "{" not in a}
        return EdgeDetails(container, kept, health)

    # each edge passes the ACME challenges it cannot answer to the other: not a web host
    web = {upstream for site in edges.sites for upstream in site.upstreams}
    peers = {f"{host}:{edges.settings.http_port}" for host in edges.hosts}
    ignored = peers - web if edges.settings.acme is not None else set()

    return await on_servers(edges.servers(), step)


def boot(session: Session) -> dict[str, bool]:
    secrets = edge_secrets(session)
    return run_locked(
        session,
        lambda transport: boot_on(transport, session.config, secrets, session.progress.host),
    )


def edge_secrets(session: Session) -> dict[str, Secret]:
    """The secrets the edges' custom certificates come from (none without one)."""
    return session.secret_values(certificate_secret_names(session.config))


def drain(session: Session, host: str) -> dict[str, int]:
    check_web_host(session.config, host)  # before the lock: a typo changes nothing
    return run_locked(session, lambda transport: drain_on(transport, session.config, host))


def undrain(session: Session, host: str) -> None:
    check_web_host(session.config, host)
    run_locked(session, lambda transport: undrain_on(transport, session.config, host))


def check_web_host(config: Config, host: str) -> None:
    """UsageError unless the host is one of the web hosts behind the edges."""
    if config.dockyard.load_balancer is None:
        raise UsageError(NO_BALANCER)
    web_upstreams(edge_sites(config), host)


def details(session: Session) -> dict[str, EdgeDetails]:
    return session.run(lambda transport: details_on(transport, session.config))
