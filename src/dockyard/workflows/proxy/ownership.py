"""Routes are owned (plan/routes.py), checked before anything changes on any server: the route
files of each proxy host read (nothing is created), and a route of ours that would take what
another app's route serves refused in one line (RouteTakenError).

    await refuse_taken_routes(transport, engine, {host: [route, ...]})

A deploy checks again under its lock, in the trip that reads the proxy's state (deploy.py): that
check also hands the routes over with --take-over-routes, and refuses a route another app's
deploy took in the meantime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dockyard.commands import proxy as proxy_commands
from dockyard.commands.caddy_config import AppRoute
from dockyard.engine import Engine
from dockyard.facts.proxy import parse_routes
from dockyard.plan import routes
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server


async def served_routes(server: Server) -> list[AppRoute]:
    """The routes the server's proxy serves (its route files); none before the proxy's setup."""
    return parse_routes((await server.run(proxy_commands.read_routes())).stdout)


async def refuse_taken_routes(
    transport: Transport, engine: Engine, ours_by_host: Mapping[str, Sequence[AppRoute]]
) -> None:
    """Read every host's routes, then raise RouteTakenError when one of ours would take
    another app's host (and path prefix); a host without a route of ours is not read."""
    hosts = [host for host, ours in ours_by_host.items() if ours]
    served = await on_servers([Server(transport, h, engine) for h in hosts], served_routes)
    routes.check(ours_by_host, served, take_over=False)
