"""A proxied accessory on one host: health-check it, boot the proxy, route to it, take it off.

    route(server, config, proxied, name)    after its container runs (boot, start...)
    unroute(server, config, route_name)     before it stops (stop, remove)

An unhealthy accessory is left running, unlike a new app container (which is stopped so the
previous version keeps serving): an accessory has no previous version to fall back to, stopping
it would only take away its logs and `exec --reuse` for finding out why, and what reaches it on
the network (not through the proxy) may still work. Kamal leaves it too. The proxy never routes
to it: a route it had (a restart, a reboot) is taken off.
"""

from __future__ import annotations

import time

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, all_of, cmd, write_stdin
from dockyard.config.objects import Config
from dockyard.errors import AccessoryError
from dockyard.facts.proxy import ProxyState
from dockyard.plan import routes
from dockyard.plan.accessory import AccessoryProxy
from dockyard.plan.from_config import certificate_file, proxy_container, proxy_settings
from dockyard.workflows.deploy.health import HttpProbe, wait_http_healthy
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server


def controller(server: Server, config: Config) -> ProxyController:
    return ProxyController(server, proxy_settings(config))


def collisions(
    host: str, proxied: AccessoryProxy, state: ProxyState, take_over: bool
) -> list[routes.Collision]:
    """What the accessory's route takes from other routes (RouteTakenError unless take_over)."""
    found = routes.check({host: [proxied.route]}, {host: state.routes}, take_over=take_over)
    return found.get(host, [])


async def route(
    server: Server, config: Config, proxied: AccessoryProxy, name: str, *, take_over: bool = False
) -> str:
    """Once the container answers its health check: the route is checked against the other
    routes of the proxy (see plan/routes.py; the callers checked before the accessory booted,
    this refuses what another app took since, or hands it over with take_over), the proxy
    booted where it is not running, and the route saved and loaded. Returns what it routes,
    for the outcome line."""
    deadline = time.monotonic() + proxied.timeout
    check = proxied.health
    keys = f"accessories/{name}/proxy"
    probe = HttpProbe(proxied.app_port, check, f"{keys}/healthcheck/path", f"{keys}/app_port")
    outcome = await wait_http_healthy(server, proxied.container, probe, deadline)
    if not outcome.healthy:
        await unroute(server, config, proxied.route.name)
        raise AccessoryError(
            f"{server.host}: {proxied.container} did not answer {check.path} on port "
            f"{proxied.app_port} ({outcome.detail}); {outcome.how}; the proxy does not route "
            f"to it and it is left running: see `dockyard accessory logs {name}`, fix it, then "
            f"`dockyard accessory restart {name}`"
        )
    proxy = controller(server, config)
    state = await proxy.state()
    proxy.handover = routes.Handover(collisions(server.host, proxied, state, take_over))
    await proxy.boot(proxy_container(config, server.host), state)
    if proxied.certificate_pem is not None:  # in place before Caddy is told to load it
        cert_dir = proxied.certificate_path.rsplit("/", 1)[0]
        write = all_of(app_commands.make_dirs(cert_dir), write_stdin(proxied.certificate_path))
        await server.run(write, input=proxied.certificate_pem)
    await proxy.apply(proxied.route)
    where = ", ".join(proxied.route.hosts) or "every host name"
    prefixes = ",".join(proxied.route.path_prefixes)
    return f"served by the proxy at {where}{prefixes}"


async def unroute(server: Server, config: Config, route_name: str, *, forget: bool = False) -> bool:
    """Take the route off the proxy (Caddy stops routing its hosts at once) and delete its
    file; with `forget`, its certificate file too. False when there was no route."""
    if forget:
        await server.run(cmd("rm", "-f", HomePath(certificate_file(route_name))))
    path = HomePath(proxy_commands.route_file(route_name))
    if not (await server.run(cmd("test", "-f", path), check=False)).ok:
        return False  # no state is read: that would make the proxy's directories
    proxy = controller(server, config)
    if (await proxy.state()).running:
        await proxy.apply(remove=[route_name])
    else:  # the proxy derives its config from the route files when it starts
        await server.run(cmd("rm", "-f", path))
    return True
