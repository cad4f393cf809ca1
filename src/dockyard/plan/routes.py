"""Routes are owned (pure): a host name (and path prefix) that a route on a proxy serves is not
taken by another route unless on purpose (--take-over-routes), as kamal-proxy refuses a host
another service has.

A route claims every (host name, path prefix) pair it serves: its hosts, or "" when it has none
(it then serves every host no other route names), with each of its path prefixes, or "/" when
it has none. Two routes collide when they claim a pair in common. A route of the same name is
the same route (the app deployed again), never a collision.

Taking over changes the other route, in the trip that switches to the new one: it loses the
host names it shared (a route without host names loses the shared prefixes), and is removed
when nothing is left to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import Command
from dockyard.commands.caddy_config import AppRoute
from dockyard.errors import RouteTakenError
from dockyard.plan.deploy import DeployPlan

Claim = tuple[str, str]  # (host name or "", path prefix or "/")
TAKE_OVER_FLAG = "--take-over-routes"


def claims(route: AppRoute) -> frozenset[Claim]:
    hosts = [host.lower().rstrip(".") for host in route.hosts] or [""]
    prefixes = ["/" + prefix.strip("/") for prefix in route.path_prefixes] or ["/"]
    return frozenset((host, prefix) for host in hosts for prefix in prefixes)


@dataclass(frozen=True)
class Collision:
    """On one proxy host, a route of ours claims what another route serves."""

    host: str  # the server
    ours: AppRoute
    theirs: AppRoute
    shared: frozenset[Claim]


def left_after(theirs: AppRoute, taken: frozenset[Claim]) -> AppRoute | None:
    """Their route once these claims are taken: without the host names taken (or, for a route
    without host names, the prefixes taken); None when nothing is left to it."""
    if theirs.hosts:
        lost = {host for host, _ in taken}
        kept = tuple(h for h in theirs.hosts if h.lower().rstrip(".") not in lost)
        return replace(theirs, hosts=kept) if kept else None
    lost_prefixes = {prefix for _, prefix in taken}
    kept = tuple(p for p in theirs.path_prefixes if "/" + p.strip("/") not in lost_prefixes)
    return replace(theirs, path_prefixes=kept) if kept else None


class Handover:
    """The takeovers of one proxy host, done in the trips that switch our routes: each of
    their routes loses what every route of ours switched so far has taken from it."""

    def __init__(self, found: Iterable[Collision]) -> None:
        self.found = list(found)
        self.taken: dict[str, frozenset[Claim]] = {}

    def steps(self, route_name: str) -> list[Command]:
        """What switching our route `route_name` changes in the other routes' files."""
        steps: list[Command] = []
        for collision in self.found:
            if collision.ours.name != route_name:
                continue
            name = collision.theirs.name
            self.taken[name] = self.taken.get(name, frozenset()) | collision.shared
            left = left_after(collision.theirs, self.taken[name])
            steps.append(proxy_commands.write_route(left) if left else
                         proxy_commands.remove_route(name))  # fmt: skip
        return steps


def collisions(host: str, ours: Sequence[AppRoute], served: Sequence[AppRoute]) -> list[Collision]:
    """What our routes would take from the other routes served on this proxy host."""
    names = {route.name for route in ours}
    found = []
    for route in ours:
        for other in served:
            shared = claims(route) & claims(other)
            if other.name not in names and shared:
                found.append(Collision(host, route, other, shared))
    return found


def refuse(found: Sequence[Collision]) -> RouteTakenError:
    """One line: per route taken, the proxy hosts, what it serves there, whose it is, ours."""
    by_routes: dict[tuple[str, str, frozenset[Claim]], list[Collision]] = {}
    for collision in found:
        key = (collision.theirs.name, collision.ours.name, collision.shared)
        by_routes.setdefault(key, []).append(collision)
    parts = []
    for group in by_routes.values():
        first = group[0]
        hosts = ", ".join(dict.fromkeys(c.host for c in group))
        parts.append(
            f"{hosts}: {shown(first.shared)} is served by {owner(first.theirs)}; "
            f"{first.ours.name} would take it over"
        )
    return RouteTakenError(
        "; ".join(parts) + f": choose another proxy host or path prefix, or run again with "
        f"{TAKE_OVER_FLAG} to take it over on purpose"
    )


def taking_over(found: Sequence[Collision]) -> str:
    """What a deploy takes over on one proxy host, for its progress line."""
    parts = [f"{shown(c.shared)} from {owner(c.theirs)}" for c in found]
    return "taking over " + "; ".join(dict.fromkeys(parts))


def owner(route: AppRoute) -> str:
    """`the app blog (route blog-web)`, or the route alone for a file that names no app."""
    return f"the app {route.app} (route {route.name})" if route.app else f"route {route.name}"


def shown(shared: Iterable[Claim]) -> str:
    """`app.example.com`, `app.example.com/api`, `every host` (no host name)."""
    names = [(host or "every host") + ("" if prefix == "/" else prefix) for host, prefix in shared]
    return ", ".join(sorted(names))


def check(
    ours_by_host: Mapping[str, Sequence[AppRoute]],
    served_by_host: Mapping[str, Sequence[AppRoute]],
    *,
    take_over: bool,
) -> dict[str, list[Collision]]:
    """The collisions per proxy host, to take over; raises RouteTakenError when there are
    any and take_over is not given."""
    found = {
        host: collisions(host, ours, served_by_host.get(host, ()))
        for host, ours in ours_by_host.items()
    }
    every = [c for host_found in found.values() for c in host_found]
    if every and not take_over:
        raise refuse(every)
    return {host: host_found for host, host_found in found.items() if host_found}


def deploy_routes(plan: DeployPlan) -> dict[str, list[AppRoute]]:
    """The routes a deploy switches, per host."""
    found: dict[str, list[AppRoute]] = {}
    for host_boot in (h for group in plan.groups for h in group):
        ours = [role.route for role in host_boot.roles if role.route is not None]
        found.setdefault(host_boot.host, []).extend(ours)
    return found


def merged(*by_host: Mapping[str, Sequence[AppRoute]]) -> dict[str, list[AppRoute]]:
    """Routes per host from several sources (the app's and its accessories')."""
    found: dict[str, list[AppRoute]] = {}
    for routes in by_host:
        for host, ours in routes.items():
            found.setdefault(host, []).extend(ours)
    return found
