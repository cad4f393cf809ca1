"""One accessory as its workflows see it, how their failures are told, and the state of a
container on a host (what both accessory and backup steps ask).

ctx = AccessoryContext(config, accessory, secrets, root)   # config, resolved secrets, files
async with failing(server, ctx.accessory.name, "booting", "; no container was made"):
    ...                   # a step's own failure: `<host>: booting <name> failed: <cause>; ...`
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard.commands import accessory as commands
from dockyard.commands.caddy_config import AppRoute
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.engine import Engine
from dockyard.errors import AccessoryError, DockyardError, reason
from dockyard.facts.accessory import parse_container_state
from dockyard.plan.accessory import AccessoryProxy, accessory_proxy, route_name
from dockyard.redaction import Secret
from dockyard.workflows.accessories import routing as proxying
from dockyard.workflows.server import Server


@asynccontextmanager
async def failing(server: Server, name: str, doing: str, left: str = "") -> AsyncIterator[None]:
    """A step's own failure (a command, a timeout, a lost connection) as one AccessoryError:
    `<host>: <doing> <name> failed: <cause><left>`. AccessoryErrors pass as they are."""
    try:
        yield
    except AccessoryError:
        raise
    except DockyardError as error:
        raise told(server, name, doing, error, left) from error


def told(server: Server, name: str, doing: str, error: Exception, left: str = "") -> AccessoryError:
    cause = reason(error, server.host)  # a command's rendering goes below the line
    return AccessoryError(f"{server.host}: {doing} {name} failed: {cause}{left}")


@dataclass(frozen=True)
class AccessoryContext:
    """One accessory with what its commands need: config, resolved secrets, local root."""

    config: Config
    accessory: Accessory
    secrets: Mapping[str, Secret]
    root: Path = Path(".")
    take_over_routes: bool = False  # its route may take what another app's route serves

    @property
    def engine(self) -> Engine:
        return self.config.runtime

    @property
    def name(self) -> str:
        return self.accessory.service_name

    @property
    def env_file_path(self) -> str:
        return commands.env_file_path(self.config.service_and_destination, self.accessory.name)

    @property
    def proxied(self) -> AccessoryProxy | None:
        """Its route and health check when it is proxied (a ConfigError when it cannot be)."""
        return accessory_proxy(self.config, self.accessory, self.secrets)

    async def route(self, server: Server, proxied: AccessoryProxy | None = None) -> str:
        """Health-check it and route the proxy to it; "" when it is not proxied."""
        proxied = proxied or self.proxied
        if proxied is None:
            return ""
        routed = await proxying.route(
            server, self.config, proxied, self.accessory.name, take_over=self.take_over_routes
        )
        return "; " + routed

    def routes_on(self, hosts: Sequence[str]) -> dict[str, list[AppRoute]]:
        """Its route on each of these hosts (none when it is not proxied): what is checked
        against the other apps' routes before anything boots (workflows/proxy/ownership.py)."""
        proxied = self.proxied
        return {host: [proxied.route] for host in hosts} if proxied is not None else {}

    async def unroute(self, server: Server, *, forget: bool = False) -> None:
        if self.accessory.proxy is not None:
            name = route_name(self.accessory)
            await proxying.unroute(server, self.config, name, forget=forget)

    def secret_env(self) -> dict[str, str]:
        return {ref.env_name: self.secrets[ref.secret_name] for ref in self.accessory.env.secrets}

    def run_spec(self, host: str) -> commands.AccessoryRun:
        clear = {**self.accessory.env.clear, "KAMAL_HOST": host}
        log = self.config.logging.effective_options
        log_options = [x for k, v in log.items() for x in ("--log-opt", f"{k}={v}")]
        if self.config.logging.driver:
            log_options = ["--log-driver", self.config.logging.driver, *log_options]
        return commands.AccessoryRun(self.accessory, clear, self.env_file_path, log_options)


async def state_of(server: Server, name: str) -> str | None:
    """The container's state (running, exited...), or None when there is none."""
    out = (await server.run(commands.container_exists(server.engine, name))).stdout
    return parse_container_state(out, name)
