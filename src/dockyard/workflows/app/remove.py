"""Removing an app from its servers: containers, images, env files, its routes, and the proxy
only when no other app is routed through it (Kamal removes the proxy unconditionally).

    done = remove_app(session)        # `app remove`: {host: what happened to the proxy}
    done = remove_everything(session) # `remove`: the accessories too, and maybe the proxy
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, Raw, all_of, cmd
from dockyard.plan.accessory import route_name
from dockyard.plan.from_config import certificate_file, proxy_settings
from dockyard.plan.targets import app_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories import lifecycle
from dockyard.workflows.accessories.manage import on_accessories_over
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session


@dataclass(frozen=True)
class Removed:
    app: dict[str, str]  # host -> what happened to the proxy there
    accessories: dict[str, str]  # `host (accessory)` -> what was removed


def remove_app(session: Session) -> dict[str, str]:
    """`app remove`: the app from its selected hosts; only its routes leave the proxy."""
    return session.run(lambda transport: _remove_app(session, transport, keep_proxy=True))


def remove_everything(session: Session) -> Removed:
    """`remove`: the app, then its accessories with their data directories (their backups
    stay); the proxy too, unless other apps are still routed through it."""

    async def work(transport: Transport) -> Removed:
        app = await _remove_app(session, transport, keep_proxy=False)
        accessories: dict[str, str] = {}
        if session.config.accessories:
            accessories = await on_accessories_over(
                session, transport, "all", lifecycle.remove_on_host
            )
        return Removed(app, accessories)

    return session.run(work)


async def _remove_app(
    session: Session, transport: Transport, *, keep_proxy: bool
) -> dict[str, str]:
    config = session.config
    routes = [config.proxy_service_name(r.name) for r in config.proxy_roles]
    if not keep_proxy:  # `remove` takes the accessories too: the proxy goes if only they used it
        routes += [route_name(a) for a in config.accessories if a.proxy is not None]

    async def step(server: Server) -> str:
        proxy = None
        if server.host in config.proxy_hosts:
            proxy = ProxyController(server, proxy_settings(config))
        return await remove_app_on_host(
            server, config.service, config.destination, routes, proxy, keep_proxy=keep_proxy
        )

    hosts = app_hosts(config, session.selection)
    return await on_servers([Server(transport, h, config.runtime) for h in hosts], step)


async def remove_app_on_host(
    server: Server,
    service: str,
    destination: str | None,
    route_names: Sequence[str],
    proxy: ProxyController | None,
    *,
    keep_proxy: bool = False,
) -> str:
    """Remove the app from one host; say what happened to the proxy. With keep_proxy (`app
    remove`) only the app's routes leave the proxy."""
    engine = server.engine
    filters = app_commands.label_filters(service, destination=destination)
    apps_dir = f".dockyard/apps/{service}" + (f"-{destination}" if destination else "")
    listing = " ".join(filters)
    await server.run(all_of(
            Raw(f"ids=$({engine.name} ps --all --quiet {listing}); "
                f'[ -z "$ids" ] || {engine.name} rm --force $ids >/dev/null'),
            Raw(f"imgs=$({engine.name} images --quiet --filter label=service={service}); "
                f'[ -z "$imgs" ] || {engine.name} rmi --force $imgs >/dev/null 2>&1 || true'),
            cmd("rm", "-rf", HomePath(apps_dir),
                *(HomePath(certificate_file(name)) for name in route_names)),
        ),
    )  # fmt: skip
    if proxy is None:
        return "no proxy"
    routes = await proxy.read_routes()
    ours = [r.name for r in routes if r.name in route_names]
    if ours:
        await proxy.apply(remove=ours)
    if keep_proxy:
        return "its routes left the proxy" if ours else "no route on the proxy"
    if any(r.name not in route_names for r in routes):
        return "proxy kept for the other apps on it"
    await server.run(proxy_commands.remove(engine))
    return "proxy removed (no other app used it)"
