"""`app …` commands on servers: what runs, start/stop, logs, maintenance, stale containers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dockyard.commands import app as app_commands
from dockyard.commands.base import cmd
from dockyard.commands.caddy_config import Maintenance, ProxySettings, slot_alias
from dockyard.config.objects import Config
from dockyard.facts.app import ContainerInfo, parse_containers, version_of
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server


async def containers_on_host(
    server: Server, config: Config, role: str | None = None
) -> list[ContainerInfo]:
    filters = app_commands.label_filters(config.service, role, config.destination)
    result = await server.run(app_commands.list_containers(server.engine, filters))
    return parse_containers(result.stdout)


def roles_on(config: Config, host: str, roles: Sequence[str] = ()) -> list[str]:
    return [r.name for r in config.roles if host in r.host_names and (not roles or r.name in roles)]


async def running_versions(server: Server, config: Config) -> dict[str, str]:
    """role -> the version running on this host (roles with nothing running are left out)."""
    found = {}
    for info in await containers_on_host(server, config):
        if info.state != "running":
            continue
        for role in roles_on(config, server.host):
            version = version_of(info.name, config.proxy_service_name(role) + "-")
            if version and role not in found:
                found[role] = version
    return found


@dataclass(frozen=True)
class RoleVersions:
    """A role's versions on one host, newest first, and the one that serves (a proxied
    role's, in its live slot) or runs (a role without the proxy); None when none runs."""

    versions: tuple[str, ...]
    current: str | None
    proxied: bool


async def role_versions(server: Server, config: Config) -> dict[str, RoleVersions]:
    """Each role of the host (in the config's order) with a container here: its versions."""
    found = {}
    listing = await containers_on_host(server, config)
    for role in roles_on(config, server.host):
        route = config.proxy_service_name(role)
        mine = [c for c in listing if version_of(c.name, route + "-")]
        running = [c.name for c in mine if c.state == "running"]
        current = (await _serving(server, route, running))[:1]
        versions = tuple(dict.fromkeys(version_of(c.name, route + "-") or "" for c in mine))
        if versions:
            now = version_of(current[0], route + "-") if current else None
            proxied = any(r.name == role and r.proxy is not None for r in config.roles)
            found[role] = RoleVersions(versions, now, proxied)
    return found


async def stale_containers(server: Server, config: Config) -> list[str]:
    """Running containers of a role beside the one that serves (left by an interrupted
    deploy): for a proxied role, the one in its live slot; otherwise the newest."""
    stale = []
    for role in roles_on(config, server.host):
        route = config.proxy_service_name(role)
        running = [
            c.name
            for c in await containers_on_host(server, config, role)
            if c.state == "running" and version_of(c.name, route + "-")
        ]
        serving = await _serving(server, route, running)
        stale += [name for name in running if name not in serving]
    return stale


async def _serving(server: Server, route: str, running: list[str]) -> list[str]:
    """Of a role's running containers (newest first), the one that serves: the newest, or,
    when several run, the one in the route's live slot (that costs two round trips)."""
    if len(running) < 2:
        return running[:1]
    state = await ProxyController(server, ProxySettings()).state()
    live = slot_alias(route, state.live_slot(route))
    aliases = (await server.run(app_commands.inspect_aliases(server.engine, *running))).stdout
    holders = [n for n, a in zip(running, aliases.splitlines(), strict=False) if live in a.split()]
    return holders[:1] or running[:1]


async def on_each_current(server: Server, config: Config, verb: str) -> list[str]:
    """Run `<engine> <verb>` on the newest container of each role on the host."""
    names = []
    for role in roles_on(config, server.host):
        prefix = config.proxy_service_name(role) + "-"
        current = [
            c.name
            for c in await containers_on_host(server, config, role)
            if version_of(c.name, prefix)
        ]
        if current:
            await server.run(cmd(server.engine.name, verb, current[0]))
            names.append(current[0])
    return names


async def set_maintenance(
    proxy: ProxyController, route_names: Sequence[str], maintenance: Maintenance | None
) -> list[str]:
    """Serve the maintenance page (or the app again) for these routes; returns the ones changed."""
    changed = []
    for route in await proxy.read_routes():
        if route.name in route_names and route.maintenance != maintenance:
            await proxy.apply(replace(route, maintenance=maintenance))
            changed.append(route.name)
    return changed
