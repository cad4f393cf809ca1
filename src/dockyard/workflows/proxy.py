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
from collections.abc import Collection

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import cmd
from dockyard.commands.caddy_config import AppRoute, ProxySettings, caddy_config
from dockyard.facts.proxy import parse_state
from dockyard.proxy.admin import CaddyAdmin, ProxyAdminError
from dockyard.ssh.transport import Transport

CONVERGE_ATTEMPTS = 3


class ProxyController:
    def __init__(
        self, transport: Transport, host: str, engine: str, settings: ProxySettings
    ) -> None:
        self.transport = transport
        self.host = host
        self.engine = engine
        self.settings = settings
        self._home: str | None = None

    async def read_routes(self) -> list[AppRoute]:
        result = await self.transport.run(self.host, proxy_commands.read_state())
        self._home, routes = parse_state(result.stdout)
        return routes

    def admin(self) -> CaddyAdmin:
        if self._home is None:
            raise RuntimeError("read_routes() first: the admin socket path needs the home")
        socket = f"{self._home}/{proxy_commands.STATE_DIR}/admin.sock"
        return CaddyAdmin(
            lambda: self.transport.open_unix_connection(self.host, socket), where=self.host
        )

    async def boot(self, container: proxy_commands.ProxyContainer) -> None:
        """Start the proxy (or keep it) with the config derived from the routes on the server."""
        routes = await self.read_routes()
        config = caddy_config(routes, self.settings)
        await self._write_config(config)
        await self.transport.run(self.host, app_commands.ensure_network(self.engine))
        await self.transport.run(self.host, proxy_commands.start_or_run(self.engine, container))
        await self._wait_for_admin()
        await self.admin().load(config)

    async def apply(self, route: AppRoute | None = None, *, remove: str | None = None) -> None:
        """Persist one app's route (or remove it), then make Caddy serve exactly the files."""
        if route is not None:
            data = route.to_json().encode()
            await self.transport.upload(
                self.host, data, proxy_commands.route_file(route.name), mode=0o600
            )
        if remove is not None:
            path = proxy_commands.route_file(remove)
            await self.transport.run(self.host, cmd("rm", "-f", f"{self._home}/{path}"))
        await self.converge()

    async def converge(self) -> list[AppRoute]:
        """Load the config derived from the route files until a re-read finds no change.

        Two apps deploying at once on one proxy each re-read after loading, so the last one to
        load always loads both routes.
        """
        routes = await self.read_routes()
        for _ in range(CONVERGE_ATTEMPTS):
            config = caddy_config(routes, self.settings)
            await self._write_config(config)
            await self.admin().load(config)
            again = await self.read_routes()
            if again == routes:
                return routes
            routes = again
        raise ProxyAdminError(f"{self.host}: the proxy's routes kept changing; deploy again")

    async def wait_drained(self, addresses: Collection[str], timeout: float) -> dict[str, int]:
        """Wait until no request is in flight to these upstreams; return what is left at timeout."""
        deadline = time.monotonic() + timeout
        admin = self.admin()
        while True:
            in_flight = await admin.in_flight()
            left = {a: in_flight[a] for a in addresses if in_flight.get(a, 0) > 0}
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(0.1)

    async def _write_config(self, config: object) -> None:
        body = json.dumps(config, indent=1, sort_keys=True).encode()
        await self.transport.upload(self.host, body, proxy_commands.CONFIG_FILE, mode=0o600)

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
