"""One load balancer edge on its host: boot its Caddy, converge its config, read its upstreams.

The edge's config is derived from the deploy config alone (plan/balancer.py): written to
caddy.json (what its container starts from) and loaded with one `POST /load` only when it
changed, i.e. when the pool of web hosts, a site's settings or a custom certificate changed
(its digest is in the config; the bundle is written beside caddy.json first). Draining a web
host changes no config (see commands/edge_config.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import h11

from dockyard.commands import app as app_commands
from dockyard.commands import edge as edge_commands
from dockyard.commands import edge_pool
from dockyard.commands.base import all_of
from dockyard.commands.edge_acme import ACME_ROOT_FILE
from dockyard.commands.edge_config import EdgeSettings, EdgeSite, edge_config, probe_path
from dockyard.errors import DockyardError, HostUnreachable, SshError, StepFailed
from dockyard.facts.caddy import UpstreamLoad
from dockyard.facts.edge import EdgeState, parse_edge_state, upstream_health
from dockyard.facts.http import body_excerpt
from dockyard.redaction import Secret
from dockyard.workflows.http import exchange
from dockyard.workflows.proxy.admin import CaddyAdmin, ProxyAdminError
from dockyard.workflows.proxy.controller import config_text
from dockyard.workflows.server import Server

ADMIN_TIMEOUT = 30.0  # seconds one admin API request may take, from opening its stream
ADMIN_WAIT = 20.0  # seconds a started edge has to answer on its admin socket
CHECK_TIMEOUT = 5.0  # seconds a probe of one web host may take (the edge gives it 1 s)
# the ACME CA's root, written like a site's certificate (certs/<name>.pem)
ACME_ROOT = ACME_ROOT_FILE.rsplit("/", 1)[1].removesuffix(".pem")
REBOOT = "replace it with `dockyard lb reboot -y` (one edge at a time), then deploy again"


class OldContainer(DockyardError):
    def __init__(self) -> None:
        super().__init__(
            "its container has no pool hosts file as /etc/hosts (booted by an older dockyard)"
        )


def _sum(a: UpstreamLoad | None, b: UpstreamLoad) -> UpstreamLoad:
    if a is None:
        return b
    return UpstreamLoad(a.in_flight + b.in_flight, a.recent_failures + b.recent_failures)


class EdgeController:
    def __init__(
        self,
        server: Server,
        sites: Sequence[EdgeSite],
        settings: EdgeSettings,
        certificates: Mapping[str, Secret] = {},
        acme_root: Secret | None = None,
    ) -> None:
        """`certificates`: the PEM bundles of the sites the edge serves HTTPS for with a custom
        certificate, by name; `acme_root`: the root to trust for the ACME CA's own address."""
        self.server = server
        self.host = server.host
        self.engine = server.engine
        self.config = edge_config(sites, settings)
        # the web host addresses of each site whose upstreams are slots (commands/edge_pool)
        self.wanted = {
            site.name: [u.rsplit(":", 1)[0].strip("[]") for u in site.upstreams]
            for site in sites
            if site.tasks is None and edge_pool.pooled(site.upstreams)
        }
        self.ports = {
            s.name: s.upstreams[0].rsplit(":", 1)[1] for s in sites if s.name in self.wanted
        }
        self.layout: edge_pool.Layout = {}  # the slots as the edge's hosts file has them
        self.certificates = {s.name: certificates[s.name] for s in sites if s.certificate}
        if acme_root is not None and settings.acme is not None:
            self.certificates[ACME_ROOT] = acme_root
        self._home: str | None = None

    async def state(self, write: str | None = None) -> EdgeState:
        """The edge's state on its host; with `write`, that caddy.json is saved first."""
        command = edge_commands.read_state(self.engine, write=write is not None)
        state = parse_edge_state((await self.server.run(command, input=write)).stdout)
        self._home = state.home
        self.layout = edge_pool.parse_hosts(state.hosts)
        return state

    async def boot(self, container: edge_commands.EdgeContainer) -> bool:
        """Make the edge run the config derived from the deploy config: True when something
        changed (started, or a new config loaded); a running edge already right costs one trip."""
        state = await self.state()
        text = config_text(self.config)
        if state.running and self.wanted and not state.hosts_mounted:
            raise StepFailed(self.host, "booting the load balancer edge", OldContainer(), REBOOT)
        if state.running and text == state.config:
            return False
        for site, bundle in self.certificates.items():  # in place before Caddy loads them
            await self.server.run(edge_commands.write_certificate(site), input=bundle)
        if state.running:
            # the slots the new config names exist first; hosts come and go in pool_change
            layout = edge_pool.with_hosts(self.layout, self._kept(state.running))
            if layout != self.layout:
                await self.write_hosts(layout)
            await self.admin().load(self.config)
            await self.state(write=text)
            return True
        # a stopped edge serves nothing: its pool is the wanted one, no drain needed
        fresh = edge_pool.without_hosts(
            edge_pool.with_hosts(self.layout, self.wanted), self.wanted, int(time.time())
        )
        hosts = edge_pool.render_hosts(fresh)
        await self.server.run(edge_pool.write_hosts(hosts), input=hosts)
        self.layout = fresh
        if state.exists and self.wanted and not state.hosts_mounted:  # an older one, stopped
            await self.server.run(edge_commands.remove_container(self.engine))
        started = all_of(
            edge_commands.write_config(),
            app_commands.ensure_network(self.engine),
            edge_commands.start_or_run(self.engine, container),
        )
        if self.engine.pins_bridge_address:
            started = all_of(started, app_commands.pin_bridge_address())
        await self.server.run(started, input=text)
        await self.admin().wait_answering(ADMIN_WAIT)
        return True

    def _kept(self, running: bool) -> dict[str, list[str]]:
        """Each pooled site's wanted addresses, and those its slots still map (a running edge
        drops a host only once drained: pool_change)."""
        if not running:
            return self.wanted
        have = edge_pool.mapped(self.layout)
        return {
            site: [*wanted, *sorted(have.get(site, set()) - set(wanted))]
            for site, wanted in self.wanted.items()
        }

    def added(self) -> dict[str, list[str]]:
        """The wanted addresses no slot of the edge maps yet, by site (after state())."""
        have = edge_pool.mapped(self.layout)
        return {
            site: added
            for site, wanted in self.wanted.items()
            if (added := [a for a in wanted if a not in have.get(site, set())])
        }

    def removed(self) -> dict[str, list[str]]:
        """The addresses the edge's slots map and the config no longer has, by site."""
        return {
            site: sorted(gone)
            for site, addresses in edge_pool.mapped(self.layout).items()
            if (gone := addresses - set(self.wanted.get(site, ())))
        }

    async def add_hosts(self) -> None:
        """Slots for the added web hosts (the others kept, removed ones still mapped)."""
        await self.write_hosts(edge_pool.with_hosts(self.layout, self._kept(True)))

    async def free_removed(self) -> None:
        """The removed web hosts' slots freed (the hosts drained and idle first)."""
        layout = edge_pool.without_hosts(self.layout, self.wanted, int(time.time()))
        await self.write_hosts(layout)

    async def write_hosts(self, layout: edge_pool.Layout) -> None:
        text = edge_pool.render_hosts(layout)
        await self.server.run(edge_pool.write_hosts(text), input=text)
        self.layout = layout

    async def slots_up(self, addresses: Mapping[str, Sequence[str]]) -> bool:
        """Whether the edge's active checks last saw each of these sites' hosts' slots up."""
        health = edge_pool.parse_health((await self.server.run(edge_pool.read_health())).stdout)
        return all(health.get(slot, False) for slot in self._slots(addresses))

    def _slots(self, addresses: Mapping[str, Sequence[str]]) -> list[str]:
        return [
            f"{edge_pool.slot_name(site, k)}:{self.ports[site]}"
            for site, wanted in addresses.items()
            for k, slot in enumerate(self.layout.get(site, []))
            if slot.address in wanted
        ]

    async def upstreams(self) -> dict[str, UpstreamLoad]:
        """What the edge has in flight to each web host, and its recent failed attempts: by
        the web host's address (host:port), a slot by the host its hosts file maps it to (a
        free slot only when busy, by its name)."""
        if self._home is None:
            await self.state()
        loads = await self.admin().upstreams()
        names = {
            f"{edge_pool.slot_name(site, k)}:{self.ports.get(site, '')}": slot.address
            for site, slots in self.layout.items()
            for k, slot in enumerate(slots)
        }
        result: dict[str, UpstreamLoad] = {}
        for upstream, load in loads.items():
            if upstream not in names:
                result[upstream] = load
            elif names[upstream]:
                port = upstream.rsplit(":", 1)[1]
                address = names[upstream]
                key = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
                result[key] = _sum(result.get(key), load)
            elif load.busy:
                result[upstream] = load
        return result

    async def check(self, site: EdgeSite, upstream: str) -> str:
        """One web host's health for the site as this edge's active check sees it now
        (facts/edge.upstream_health), asked of the edge's probe socket: an edge that does not
        answer there fails the step (it says nothing of the web host)."""
        if self._home is None:
            await self.state()
        socket = f"{self._home}/{edge_commands.STATE_DIR}/probe.sock"
        path = probe_path(site)
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                reader, writer = await self.server.open_unix_connection(socket)
                try:
                    answer = await exchange(reader, writer, "GET", path, host=upstream)
                finally:
                    writer.close()
        except HostUnreachable:  # the host, not the edge: said as it is
            raise
        except (OSError, SshError, h11.ProtocolError, TimeoutError) as error:
            why = (
                f"no answer within {CHECK_TIMEOUT:g}s"
                if isinstance(error, TimeoutError)
                else (str(error) or type(error).__name__)
            )
            raise ProxyAdminError(
                f"{self.host} (edge): its probe socket did not answer GET {path} for {upstream} "
                f"({why}); is the edge running? try `dockyard lb boot`"
            ) from error
        return upstream_health(answer.status, body_excerpt(answer.body))

    def admin(self) -> CaddyAdmin:
        if self._home is None:
            raise RuntimeError("read the state first: the edge's socket path needs the home")
        socket = f"{self._home}/{edge_commands.STATE_DIR}/admin.sock"
        return CaddyAdmin(
            lambda: self.server.open_unix_connection(socket),
            where=f"{self.host} (edge)",
            timeout=ADMIN_TIMEOUT,
        )
