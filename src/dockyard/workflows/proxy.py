"""The proxy controller on one server: boot Caddy, converge its routes, switch, drain.

Caddy has no health-gated switch and no drain-then-return; dockyard owns both. The desired
routes live in one file per app on the server; the Caddy config is always derived from all of
them, written to caddy.json (what the container starts from) and loaded with one `POST /load`,
which is atomic: in-flight requests finish on the old upstream, new ones go to the new one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection, Sequence
from typing import Any

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, all_of, cmd, write_stdin
from dockyard.commands.caddy_config import AppRoute, ProxySettings, caddy_config
from dockyard.facts.app import parse_addresses
from dockyard.facts.proxy import ProxyState
from dockyard.facts.proxy import parse_state as parse_proxy_state
from dockyard.proxy.admin import CaddyAdmin, ProxyAdminError
from dockyard.ssh.transport import Transport

CONVERGE_ATTEMPTS = 3
DRAIN_SETTLE = 1.0  # seconds with nothing in flight before the old version is stopped


def config_text(config: Any) -> str:
    """caddy.json as dockyard writes it (compared byte for byte to skip unneeded loads)."""
    return json.dumps(config, indent=1, sort_keys=True) + "\n"


class ProxyController:
    def __init__(
        self, transport: Transport, host: str, engine: str, settings: ProxySettings
    ) -> None:
        self.transport = transport
        self.host = host
        self.engine = engine
        self.settings = settings
        self._home: str | None = None
        # Podman's DNS (aardvark-dns) stops answering for a moment whenever a container joins or
        # leaves the network, so on Podman Caddy dials container addresses, resolved here each
        # time the config is derived; Docker's embedded DNS has no such gap: names are kept.
        self.dial_by_address = engine == "podman"
        self._addresses: dict[str, str] = {}  # "name:port" -> "ip:port", every one seen

    async def state(self, write: str | None = None, data: str | None = None) -> ProxyState:
        """The proxy's state on the server; with `write`, `data` is saved to that file first,
        in the same round trip."""
        command = proxy_commands.read_state(self.engine, write)
        result = await self.transport.run(self.host, command, input=data)
        state = parse_proxy_state(result.stdout)
        self._home = state.home
        return state

    async def read_routes(self) -> list[AppRoute]:
        return (await self.state()).routes

    def admin(self) -> CaddyAdmin:
        if self._home is None:
            raise RuntimeError("read_routes() first: the admin socket path needs the home")
        socket = f"{self._home}/{proxy_commands.STATE_DIR}/admin.sock"
        return CaddyAdmin(
            lambda: self.transport.open_unix_connection(self.host, socket), where=self.host
        )

    async def boot(self, container: proxy_commands.ProxyContainer) -> None:
        """Make sure the proxy runs the config derived from the routes on the server.

        caddy.json always holds what Caddy runs (it is written before a start and after a
        successful load), so a running proxy whose caddy.json is already right costs nothing.
        """
        state = await self.state()
        config = await self._config(state.routes)
        text = config_text(config)
        if state.running:
            if text != state.config:
                await self.admin().load(config)
                await self.state(write=proxy_commands.CONFIG_FILE, data=text)
            return
        started = all_of(
            write_stdin(proxy_commands.CONFIG_FILE),
            app_commands.ensure_network(self.engine),
            proxy_commands.start_or_run(self.engine, container),
        )
        if self.engine == "podman":
            started = all_of(started, app_commands.pin_bridge_address())
        await self.transport.run(self.host, started, input=text)
        await self._wait_for_admin()

    async def apply(self, route: AppRoute | None = None, *, remove: Sequence[str] = ()) -> None:
        """Persist one app's route (or remove routes), then make Caddy serve exactly the files:
        one reload, however many routes are removed."""
        if remove:
            files = (HomePath(proxy_commands.route_file(name)) for name in remove)
            await self.transport.run(self.host, cmd("rm", "-f", *files))
        write = (proxy_commands.route_file(route.name), route.to_json()) if route else None
        await self.converge(write)

    async def converge(self, write: tuple[str, str] | None = None) -> list[AppRoute]:
        """Load the config derived from the route files until a re-read finds no change.

        Two apps deploying at once on one proxy each re-read after loading, so the last one to
        load always loads both routes. `write` (path, text) is saved first, in the same trip.
        """
        path, data = write if write else (None, None)
        routes = (await self.state(path, data)).routes
        for _ in range(CONVERGE_ATTEMPTS):
            config = await self._config(routes)
            await self.admin().load(config)
            again = await self.state(proxy_commands.CONFIG_FILE, config_text(config))
            if again.routes == routes:
                return routes
            routes = again.routes
        raise ProxyAdminError(f"{self.host}: the proxy's routes kept changing; deploy again")

    async def _config(self, routes: list[AppRoute]) -> Any:
        """The Caddy config for these routes, every upstream as Caddy should dial it."""
        return caddy_config(await self._dial_addresses(routes), self.settings)

    async def _dial_addresses(self, routes: list[AppRoute]) -> list[AppRoute]:
        """The routes with their upstreams as Caddy should dial them."""
        if not self.dial_by_address:
            return routes
        upstreams = {u for r in routes for u in r.upstreams}
        names = sorted({u.rsplit(":", 1)[0] for u in upstreams})
        if names:
            command = app_commands.inspect_addresses(self.engine, names)
            result = await self.transport.run(self.host, command, check=False)
            found = parse_addresses(result.stdout)
            for upstream in upstreams:
                name, _, port = upstream.rpartition(":")
                if name in found:
                    self._addresses[upstream] = f"{found[name]}:{port}"
        return [r.with_upstreams([self._dial(u) for u in r.upstreams]) for r in routes]

    def _dial(self, upstream: str) -> str:
        return self._addresses.get(upstream, upstream)

    async def wait_drained(self, addresses: Collection[str], timeout: float) -> dict[str, int]:
        """Wait until no request is in flight to these upstreams; return what is left at timeout.

        The first look is DRAIN_SETTLE seconds after the switch: a connection that Caddy's old
        config instance accepted just as the new config took over still goes to the old
        upstream a moment after the switch returned (and one look instead of two saves a trip).
        """
        if not addresses:
            return {}
        deadline = time.monotonic() + timeout
        admin = self.admin()
        await asyncio.sleep(min(DRAIN_SETTLE, timeout))
        while True:
            in_flight = await admin.in_flight()
            dialed = {a: self._dial(a) for a in addresses}
            left = {a: in_flight[d] for a, d in dialed.items() if in_flight.get(d, 0) > 0}
            if not left:
                return {}
            if time.monotonic() >= deadline:
                return left
            await asyncio.sleep(0.1)

    async def _wait_for_admin(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.admin().config()
                return
            except ProxyAdminError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.1)
