"""The proxy controller on one server: boot Caddy, converge its routes, switch, drain.

Caddy has no health-gated switch and no drain-then-return; dockyard owns both. The desired
routes live in one file per app on the server; the Caddy config is always derived from all of
them, written to caddy.json (what the container starts from) and loaded with one `POST /load`
only when it changed. A deploy does not change it: it switches a route's live slot with a file
(see caddy_config), so requests are never cut by a reload; in-flight requests finish on the
old slot, new ones go to the new one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import Command, all_of, write_stdin
from dockyard.commands.caddy_config import (
    FAIL_WINDOW,
    AppRoute,
    ProxySettings,
    caddy_config,
    other_slot,
)
from dockyard.facts.proxy import ProxyState
from dockyard.facts.proxy import parse_state as parse_proxy_state
from dockyard.plan.routes import Handover
from dockyard.workflows.http import check_get
from dockyard.workflows.proxy.admin import CaddyAdmin, ProxyAdminError
from dockyard.workflows.server import Server

CONVERGE_ATTEMPTS = 3
ADMIN_TIMEOUT = 30.0  # seconds one admin API request may take, from opening its stream
ADMIN_WAIT = 20.0  # seconds a started proxy has to answer on its admin socket
# Seconds before the first look at what is in flight to the old version: a request that passed
# the live-file check just before the switch is counted a moment later; after a reload, a
# connection the old config instance accepted still goes to the old upstream for a while.
SETTLE_AFTER_SWITCH = 0.25
SETTLE_AFTER_RELOAD = 1.0


def config_text(config: Any) -> str:
    """caddy.json as dockyard writes it (compared byte for byte to skip unneeded loads)."""
    return json.dumps(config, indent=1, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Switched:
    previous: AppRoute | None  # the route as it was before the switch
    reloaded: bool  # the config changed and was loaded (a first deploy, changed settings)


class ProxyController:
    def __init__(self, server: Server, settings: ProxySettings) -> None:
        self.server = server
        self.host = server.host
        self.engine = server.engine
        self.settings = settings
        self._home: str | None = None
        self._state: ProxyState | None = None  # the last state read
        # Other apps' routes this deploy takes over (--take-over-routes), changed in the trips
        # that switch ours.
        self.handover = Handover(())

    async def state(
        self, write: str | None = None, data: str | None = None, before: Sequence[Command] = ()
    ) -> ProxyState:
        """The proxy's state on the server; with `write`, `data` is saved to that file first,
        in the same round trip (and `before` is run)."""
        command = proxy_commands.read_state(self.engine, write, before)
        result = await self.server.run(command, input=data)
        state = parse_proxy_state(result.stdout)
        self._home = state.home
        self._state = state
        return state

    async def free_slot(self, route_name: str) -> str:
        """The slot a new version of this route boots into: the one not serving. The state
        read when the proxy was booted holds (the deploy lock keeps others off)."""
        state = self._state or await self.state()
        return other_slot(state.live_slot(route_name))

    async def switch(self, route: AppRoute, slot: str) -> Switched:
        """Make `slot` serve the route, saving the route first: one round trip when the route
        is unchanged (no reload); otherwise the changed config is loaded after the switch."""
        live = proxy_commands.set_live(route.name, slot)
        before = self._state.routes if self._state else []
        previous = next((r for r in before if r.name == route.name), None)
        steps = [live, *self.handover.steps(route.name)]
        state = await self.state(proxy_commands.route_file(route.name), route.to_json(), steps)
        reloaded = await self._converge_from(state)
        return Switched(previous, reloaded)

    async def read_routes(self) -> list[AppRoute]:
        return (await self.state()).routes

    async def refresh(self, state: ProxyState) -> None:
        """For a deploy that does not boot the proxy (redeploy, rollback, app boot), from the
        state just read: the proxy must run, since new versions are checked through it, and
        it is made to run the config derived from the routes (one made by an older dockyard
        may lack the probe server). Costs nothing while that config is current."""
        if not state.running:
            raise ProxyAdminError(
                f"{self.host}: the proxy is not running, and new versions are checked through "
                "it: run `dockyard proxy boot`"
            )
        await self._converge_from(state)

    def admin(self) -> CaddyAdmin:
        socket = self._socket("admin.sock")
        return CaddyAdmin(
            lambda: self.server.open_unix_connection(socket), where=self.host, timeout=ADMIN_TIMEOUT
        )

    async def probe(self, upstream: str, path: str, timeout: float) -> tuple[bool, str]:
        """GET path from this upstream as a route reaches it: dialed by Caddy, from the proxy's
        network, through its resolver, by the same name or address (the probe server, see
        caddy_config): (2xx?, one-line answer; a failed dial is a 502 that says why)."""
        socket = self._socket("probe.sock")
        opened = partial(self.server.open_unix_connection, socket)
        return await check_get(opened, path, upstream, timeout, where=self.host)

    def _socket(self, name: str) -> str:
        if self._home is None:
            raise RuntimeError("read the state first: the proxy's socket paths need the home")
        return f"{self._home}/{proxy_commands.STATE_DIR}/{name}"

    async def boot(
        self, container: proxy_commands.ProxyContainer, state: ProxyState | None = None
    ) -> None:
        """Make sure the proxy runs the config derived from the routes on the server (`state`:
        as just read, when the caller read it to check the routes first).

        caddy.json always holds what Caddy runs (it is written before a start and after a
        successful load), so a running proxy whose caddy.json is already right costs nothing.
        """
        state = state or await self.state()
        config = caddy_config(state.routes, self.settings)
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
        if self.engine.pins_bridge_address:
            started = all_of(started, app_commands.pin_bridge_address())
        await self.server.run(started, input=text)
        await self.admin().wait_answering(ADMIN_WAIT)

    async def apply(self, route: AppRoute | None = None, *, remove: Sequence[str] = ()) -> None:
        """Persist one app's route (or remove routes), then make Caddy serve exactly the files:
        one reload, however many routes are removed."""
        if remove:
            await self.server.run(proxy_commands.forget_routes(remove))
        write = (proxy_commands.route_file(route.name), route.to_json()) if route else None
        also = self.handover.steps(route.name) if route else []
        await self.converge(write, also)

    async def converge(
        self, write: tuple[str, str] | None = None, also: Sequence[Command] = ()
    ) -> None:
        """Make Caddy run the config derived from the route files (`write` (path, text) is
        saved first, and `also` run, in the same trip)."""
        path, data = write if write else (None, None)
        await self._converge_from(await self.state(path, data, also))

    async def _converge_from(self, state: ProxyState) -> bool:
        """Load the config derived from these routes unless Caddy runs it already, until a
        re-read finds no change; True when a config was loaded.

        Two apps deploying at once on one proxy each re-read after loading, so the last one to
        load always loads both routes."""
        routes = state.routes
        current = state.config
        for attempt in range(CONVERGE_ATTEMPTS):
            config = caddy_config(routes, self.settings)
            text = config_text(config)
            if text == current and attempt == 0:
                return False
            await self.admin().load(config)
            again = await self.state(proxy_commands.CONFIG_FILE, text)
            if again.routes == routes:
                return True
            routes, current = again.routes, again.config
        raise ProxyAdminError(f"{self.host}: the proxy's routes kept changing; deploy again")

    async def wait_drained(
        self, addresses: Collection[str], timeout: float, *, reloaded: bool = True
    ) -> dict[str, int]:
        """Wait until nothing is in flight to these upstreams, nor retrying a failed attempt
        (see caddy_config); return what is left at timeout: requests in flight plus recent
        failed attempts, per upstream.

        The first look is a moment after the switch (see SETTLE_*), and one look instead of
        two saves a trip. Each look is a trip: while only failed attempts are left (a request
        between two attempts, or failures of requests that gave up), the next look is once
        they are out of the count (FAIL_WINDOW), not every 0.1 s."""
        if not addresses:
            return {}
        deadline = time.monotonic() + timeout
        admin = self.admin()
        settle = SETTLE_AFTER_RELOAD if reloaded else SETTLE_AFTER_SWITCH
        await asyncio.sleep(min(settle, timeout))
        while True:
            loads = await admin.upstreams()
            busy = {a: loads[a] for a in addresses if a in loads and loads[a].busy}
            if not busy:
                return {}
            now = time.monotonic()
            if now >= deadline:
                return {a: load.in_flight + load.recent_failures for a, load in busy.items()}
            in_flight = any(load.in_flight for load in busy.values())
            await asyncio.sleep(min(0.1 if in_flight else FAIL_WINDOW, deadline - now))
