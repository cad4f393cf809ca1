"""`proxy …` on the selected hosts whose roles use the proxy, as the CLI runs them.

routes = boot(session)                 # {host: how many routes it serves}
hosts = reboot(session, rolling=True)  # one host at a time, between the reboot hooks
found = details(session)               # {host: ProxyDetails}
lines = logs(session, LogQuery.kamal(grep="error"))   # {host: its lines}
argv = follow_logs(session, LogQuery.kamal(follow=True))   # the system ssh, for os.execvp
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands import proxy as proxy_commands
from dockyard.commands.logs import LogQuery, container_logs
from dockyard.errors import DockyardError
from dockyard.plan.from_config import proxy_container, proxy_settings
from dockyard.plan.targets import proxy_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.found import require_found, require_present
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.lock import on_hosts_locked, run_locked
from dockyard.workflows.logs import read
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

CONTAINER = proxy_commands.CONTAINER  # its name, for what the CLI says
NO_PROXY = f"the proxy has no container ({CONTAINER})"
BOOT_IT = "boot it with `dockyard proxy boot` (a deploy boots it too)"
# What a failed step leaves, and what to do (`<host>: <step> failed: <cause>; <this>`).
BOOT_AGAIN = "run `dockyard proxy boot` again once this is fixed"
NOT_REPLACED = "the proxy was not replaced; run `dockyard proxy reboot` again once this is fixed"
DOWN = "the proxy may be down on this host: run `dockyard proxy boot` once this is fixed"
READ_AGAIN = "nothing was changed; try again once this is fixed"
REMOVE_AGAIN = "run `dockyard proxy remove` again once this is fixed"
READING = "reading the proxy's routes"


@dataclass(frozen=True)
class RouteView:
    """One route as `proxy details` shows it."""

    name: str
    hosts: tuple[str, ...]  # none: every host name
    path_prefixes: tuple[str, ...]
    upstream: str  # where requests go now
    maintenance: bool


@dataclass(frozen=True)
class ProxyDetails:
    container: list[str]  # `name image status`, as the engine lists it
    routes: list[RouteView]


def _controller(session: Session, server: Server) -> ProxyController:
    return ProxyController(server, proxy_settings(session.config))


def _hosts(session: Session) -> list[str]:
    return proxy_hosts(session.config, session.selection)


def boot(session: Session) -> dict[str, int]:
    """Start the proxy (or keep it running) with every app's routes on the host: {host: the
    number of routes}."""

    async def step(server: Server) -> int:
        controller = _controller(session, server)
        with server.step("booting the proxy", BOOT_AGAIN):
            await controller.boot(proxy_container(session.config, server.host))
            return len(await controller.read_routes())

    return on_hosts_locked(session, _hosts(session), step)


def reboot(session: Session, *, rolling: bool = False) -> list[str]:
    """Replace the proxy container (new image or options), between the pre- and
    post-proxy-reboot hooks: all hosts at once, or one at a time (rolling)."""
    engine = session.config.runtime

    async def step(server: Server) -> None:
        with server.step("removing the proxy's container", NOT_REPLACED):
            await server.run(proxy_commands.remove_container(engine))
        with server.step("booting the proxy", DOWN):
            await _controller(session, server).boot(proxy_container(session.config, server.host))

    hosts = _hosts(session)

    async def group(transport: Transport, group_hosts: list[str]) -> None:
        await session.hook("pre-proxy-reboot", group_hosts)
        await on_servers([Server(transport, host, engine) for host in group_hosts], step)
        await session.hook("post-proxy-reboot", group_hosts)

    async def all_hosts(transport: Transport) -> None:
        for group_hosts in [[host] for host in hosts] if rolling else [hosts]:
            await group(transport, group_hosts)

    run_locked(session, all_hosts)
    return hosts


def control(session: Session, verb: str) -> list[str]:
    """`start`, `stop` or `restart` the proxy container; returns the hosts."""
    command = proxy_commands.container(session.config.runtime, verb)

    async def step(server: Server) -> None:
        await server.run(command)

    return list(on_hosts_locked(session, _hosts(session), step))


def details(session: Session) -> dict[str, ProxyDetails]:
    """The proxy container and the routes it serves (NotFoundError when no selected host has
    the proxy's container)."""
    listing = proxy_commands.listing(session.config.runtime)

    async def step(server: Server) -> ProxyDetails:
        container = (await server.run(listing)).stdout.splitlines()
        with server.step(READING, READ_AGAIN):
            state = await _controller(session, server).state()
        routes = [
            RouteView(
                r.name,
                r.hosts,
                r.path_prefixes,
                ", ".join(r.upstreams) or r.slot_upstream(state.live_slot(r.name)),
                r.maintenance is not None,
            )
            for r in state.routes
        ]
        return ProxyDetails(container, routes)

    found = session.on_hosts(_hosts(session), step)
    require_found({h: d.container for h, d in found.items()}, NO_PROXY, BOOT_IT)
    return found


def logs(session: Session, query: LogQuery) -> dict[str, list[str]]:
    """The proxy's logs (Caddy's JSON access and error log) on each selected proxy host (the
    hosts of the roles the proxy serves, as Kamal's). NotFoundError when none has the proxy's
    container."""
    command = container_logs(session.config.runtime, CONTAINER, query)

    async def step(server: Server) -> list[str] | None:
        return await read(server, command)

    return require_present(session.on_hosts(_hosts(session), step), NO_PROXY, BOOT_IT)


def follow_logs(session: Session, query: LogQuery) -> list[str]:
    """The system ssh that follows the proxy's logs on the first selected proxy host."""
    host = _hosts(session)[0]
    return ssh_argv(session.config.ssh, host, container_logs(session.config.runtime, CONTAINER,
                                                             query))  # fmt: skip


def remove(session: Session, *, force: bool = False) -> list[str]:
    """The proxy container and its state; refused while apps are routed through it (unless
    force). Returns the hosts."""
    engine = session.config.runtime

    async def step(server: Server) -> None:
        with server.step(READING, READ_AGAIN):
            routes = await _controller(session, server).read_routes()
        if routes and not force:
            names = ", ".join(r.name for r in routes)
            raise DockyardError(f"{server.host}: the proxy still serves {names}; remove those apps "
                                "first, or add --force")  # fmt: skip
        with server.step("removing the proxy", REMOVE_AGAIN):
            await server.run(proxy_commands.remove(engine))

    return list(on_hosts_locked(session, _hosts(session), step))
