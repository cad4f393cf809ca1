"""`app …` on the hosts the user selected, as the CLI runs them: what runs, start and stop,
images, maintenance. Each takes the Session and returns {host: result} (`app logs`: logs.py).

    found = containers(session)                  # {host: [ContainerInfo, ...]}
"""

from __future__ import annotations

from dockyard.commands import app as app_commands
from dockyard.commands.caddy_config import Maintenance
from dockyard.facts.app import ContainerInfo
from dockyard.plan.from_config import proxy_settings
from dockyard.plan.targets import selected_app_hosts
from dockyard.workflows.app import containers as steps
from dockyard.workflows.found import require_found
from dockyard.workflows.lock import on_hosts_locked
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

DEPLOY_IT = "deploy it with `dockyard deploy` (`dockyard setup` on a new server)"


def hosts(session: Session) -> list[str]:
    return selected_app_hosts(session.config, session.selection)


def containers(session: Session) -> dict[str, list[ContainerInfo]]:
    """The app's containers on each host, newest first (NotFoundError when it has none on
    any selected host)."""

    async def step(server: Server) -> list[ContainerInfo]:
        return await steps.containers_on_host(server, session.config)

    found = session.on_hosts(hosts(session), step)
    return require_found(found, f"{session.config.service} has no container", DEPLOY_IT)


def versions(session: Session) -> dict[str, dict[str, steps.RoleVersions]]:
    """{host: {role: its versions newest first, and the one that serves or runs}}
    (NotFoundError when no version runs on any selected host)."""

    async def step(server: Server) -> dict[str, steps.RoleVersions]:
        return await steps.role_versions(server, session.config)

    found = session.on_hosts(hosts(session), step)
    running = {h: [r for r in roles.values() if r.current] for h, roles in found.items()}
    missing = f"no version of {session.config.service} runs"
    require_found(running, missing, f"`dockyard app containers` lists its containers; {DEPLOY_IT}")
    return found


def stale(session: Session, *, stop: bool = False) -> dict[str, list[str]]:
    """Running containers beside the one that serves (a killed deploy's), stopped with stop."""

    async def step(server: Server) -> list[str]:
        found = await steps.stale_containers(server, session.config)
        if found and stop:
            await server.run(app_commands.stop(server.engine, *found))
        return found

    if stop:
        return on_hosts_locked(session, hosts(session), step)
    return session.on_hosts(hosts(session), step)


def start_or_stop(session: Session, verb: str) -> dict[str, list[str]]:
    """`start` or `stop` each role's current container: {host: the containers}."""

    async def step(server: Server) -> list[str]:
        return await steps.on_each_current(server, session.config, verb)

    return on_hosts_locked(session, hosts(session), step)


def images(session: Session) -> dict[str, list[str]]:
    """The app's images on each host, `repository:tag size` a line each."""
    listing = app_commands.images(session.config.runtime, session.config.service)

    async def step(server: Server) -> list[str]:
        return (await server.run(listing)).stdout.splitlines()

    found = session.on_hosts(hosts(session), step)
    return require_found(found, f"{session.config.service} has no image", DEPLOY_IT)


def maintenance(session: Session, message: str | None) -> dict[str, list[str]]:
    """Serve a 503 page with `message` for the app's routes (None: serve the app again);
    {host: the routes changed}, on the selected hosts with the proxy."""
    config = session.config
    names = [config.proxy_service_name(r.name) for r in config.proxy_roles]
    state = None if message is None else Maintenance(body=message)
    what = "serving the app again" if message is None else "serving the maintenance page"
    command = "live" if message is None else "maintenance"
    after = f"run `dockyard app {command}` again once this is fixed"

    async def step(server: Server) -> list[str]:
        proxy = ProxyController(server, proxy_settings(config))
        with server.step(what, after):
            return await steps.set_maintenance(proxy, names, state)

    return on_hosts_locked(session, [h for h in hosts(session) if h in config.proxy_hosts], step)
