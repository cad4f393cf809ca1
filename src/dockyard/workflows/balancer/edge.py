"""One load balancer edge on its host: boot its Caddy, converge its config, read its upstreams.

The edge's config is derived from the deploy config alone (plan/balancer.py): written to
caddy.json (what its container starts from) and loaded with one `POST /load` only when it
changed, i.e. when the pool of web hosts, a site's settings or a custom certificate changed
(its digest is in the config; the bundle is written beside caddy.json first). Draining a web
host changes no config (see commands/edge_config.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import h11

from dockyard.commands import app as app_commands
from dockyard.commands import edge as edge_commands
from dockyard.commands.base import all_of
from dockyard.commands.edge_acme import ACME_ROOT_FILE
from dockyard.commands.edge_config import EdgeSettings, EdgeSite, edge_config, probe_path
from dockyard.errors import HostUnreachable, SshError
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
        self.certificates = {s.name: certificates[s.name] for s in sites if s.certificate}
        if acme_root is not None and settings.acme is not None:
            self.certificates[ACME_ROOT] = acme_root
        self._home: str | None = None

    async def state(self, write: str | None = None) -> EdgeState:
        """The edge's state on its host; with `write`, that caddy.json is saved first."""
        command = edge_commands.read_state(self.engine, write=write is not None)
        state = parse_edge_state((await self.server.run(command, input=write)).stdout)
        self._home = state.home
        return state

    async def boot(self, container: edge_commands.EdgeContainer) -> bool:
        """Make the edge run the config derived from the deploy config: True when something
        changed (started, or a new config loaded); a running edge already right costs one trip."""
        state = await self.state()
        text = config_text(self.config)
        if state.running and text == state.config:
            return False
        for site, bundle in self.certificates.items():  # in place before Caddy loads them
            await self.server.run(edge_commands.write_certificate(site), input=bundle)
        if state.running:
            await self.admin().load(self.config)
            await self.state(write=text)
            return True
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

    async def upstreams(self) -> dict[str, UpstreamLoad]:
        """What the edge has in flight to each web host, and its recent failed attempts."""
        if self._home is None:
            await self.state()
        return await self.admin().upstreams()

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
