"""Removing an app from its servers: containers, images, env files, its routes, and the proxy
only when no other app is routed through it (Kamal removes the proxy unconditionally)."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, Raw, all_of, cmd
from dockyard.plan.from_config import certificate_file
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server


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
    await server.run(
        all_of(
            cmd(engine.name, "rm", "--force", proxy_commands.CONTAINER),
            cmd("rm", "-rf", HomePath(proxy_commands.STATE_DIR)),
        ),
    )
    return "proxy removed (no other app used it)"
