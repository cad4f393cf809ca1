"""Booting accessories so that a run that failed partway can simply be run again: every
accessory is tried on every host, each ends booted (or already running) or failed with its
one-line cause, and the failures are raised together once every one has been tried.

    outcomes = await boot_all(transport, config, secrets, root=root)   # [BootOutcome, ...]
    error = failures(outcomes, "run `dockyard setup` again")          # None when none failed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.config.objects import Config
from dockyard.errors import AccessoriesFailed, DockyardError, reason
from dockyard.redaction import Secret
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.accessories.lifecycle import boot_on_host
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server


@dataclass(frozen=True)
class BootOutcome:
    """One accessory on one host: what its boot did, or why it failed (one line each)."""

    accessory: str
    host: str
    said: str  # "shop-pg booted", "shop-pg already exists (running)...", or the failure's cause
    error: DockyardError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


async def boot_reported(server: Server, ctx: AccessoryContext) -> BootOutcome:
    """boot_on_host, its failure kept as an outcome (a bug still raises)."""
    name = ctx.accessory.name
    try:
        return BootOutcome(name, server.host, await boot_on_host(server, ctx))
    except DockyardError as error:
        return BootOutcome(name, server.host, reason(error, server.host), error)


async def boot_on(servers: Sequence[Server], ctx: AccessoryContext) -> list[BootOutcome]:
    """One accessory on these servers, all at once: an outcome per host, in host order."""

    async def step(server: Server) -> BootOutcome:
        return await boot_reported(server, ctx)

    return list((await on_servers(servers, step)).values())


async def boot_all(
    transport: Transport,
    config: Config,
    secrets: Mapping[str, Secret],
    *,
    root: Path = Path("."),
    names: Sequence[str] = (),
    take_over_routes: bool = False,
) -> list[BootOutcome]:
    """Every accessory (or the named ones) on its hosts, one accessory after the other, as
    `setup` boots them before the app (as Kamal does). Nothing raises for a failed boot: see
    failures()."""
    outcomes: list[BootOutcome] = []
    for ctx in contexts(config, secrets, root=root, names=names, take_over_routes=take_over_routes):
        servers = [Server(transport, host, config.runtime) for host in ctx.accessory.hosts]
        outcomes += await boot_on(servers, ctx)
    return outcomes


def contexts(
    config: Config,
    secrets: Mapping[str, Secret],
    *,
    root: Path = Path("."),
    names: Sequence[str] = (),
    take_over_routes: bool = False,
) -> list[AccessoryContext]:
    """Every accessory (or the named ones), as boot_all boots them (take_over_routes: their
    routes may take what another app's route serves)."""
    return [
        AccessoryContext(config, accessory, secrets, root, take_over_routes)
        for accessory in config.accessories
        if not names or accessory.name in names
    ]


def failures(outcomes: Sequence[BootOutcome], then: str) -> AccessoriesFailed | None:
    """One error for every failed boot (`then`: what to do next), or None when none failed."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return None
    errors = {f"{o.host} ({o.accessory})": o.error for o in failed if o.error is not None}
    causes = {f"{o.host} ({o.accessory})": o.said for o in failed}
    return AccessoriesFailed(errors, len(outcomes), then, causes)
