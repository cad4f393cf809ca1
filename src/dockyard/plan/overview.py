"""What `details` shows of one host (pure): its proxy, the app's containers and the
accessories', from what the host listed (facts/overview.py) and the config.

    rows = describe(config, parse_listing(stdout))   # proxy, app, accessory ContainerDetails

An app container's version comes from its name, its slot from its network alias on the app
network (`<route>--a` or `--b`), and whether that slot serves from the proxy's live flags.
Containers of other apps and services on the host are left out, as in Kamal's.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands.caddy_config import slot_alias
from dockyard.commands.proxy import CONTAINER as PROXY_CONTAINER
from dockyard.config.objects import Config
from dockyard.facts.app import version_of
from dockyard.facts.overview import HostListing, Inspected

KINDS = ("proxy", "app", "accessory", "cron")  # the order details shows them in (Kamal's)


@dataclass(frozen=True)
class ContainerDetail:
    kind: str  # proxy, app, accessory, or cron (the job scheduler: a process, not a container)
    name: str
    image: str
    state: str  # running, exited (1), created...
    role: str | None = None  # the app's role, or the accessory's name
    version: str | None = None  # an app container's
    slot: str | None = None  # a or b: the proxy slot an app container holds
    live: bool | None = None  # whether that slot serves the role's route
    health: str | None = None  # healthy, unhealthy (why), starting; None: not known
    ip: str | None = None  # on the app network (the workflow probes a proxied role's there)
    warnings: tuple[str, ...] = ()  # `WARNING: ...` lines (the job scheduler's: plan/cron_health)


def describe(config: Config, listing: HostListing) -> list[ContainerDetail]:
    """The proxy, the app's and the accessories' containers on the host, in that order; by role
    (or accessory), the serving one first, then the running ones, then by name."""
    rows = [row for c in listing.containers if (row := _row(config, c, listing.live_b))]
    return sorted(rows, key=_order)


def _order(row: ContainerDetail) -> tuple[int, str, bool, bool, str]:
    return (KINDS.index(row.kind), row.role or "", not row.live, row.state != "running", row.name)


def _row(config: Config, c: Inspected, live_b: frozenset[str]) -> ContainerDetail | None:
    state = f"{c.status} ({c.exit_code})" if c.status == "exited" else c.status
    health = c.health or None
    if c.name == PROXY_CONTAINER:
        return ContainerDetail("proxy", c.name, c.image, state, health=health)
    accessory = next((a for a in config.accessories if a.service_name == c.service), None)
    if accessory is not None:
        return ContainerDetail("accessory", c.name, c.image, state, accessory.name, health=health)
    ours = c.service == config.service and c.destination == (config.destination or "")
    if not ours or c.role not in {r.name for r in config.roles}:
        return None
    route = config.proxy_service_name(c.role)
    slot = next((s for s in ("a", "b") if slot_alias(route, s) in c.aliases), None)
    return ContainerDetail(
        "app", c.name, c.image, state, c.role, version_of(c.name, route + "-"), slot,
        live=None if slot is None else (slot == "b") == (route in live_b),
        health=health, ip=c.ip or None,
    )  # fmt: skip
