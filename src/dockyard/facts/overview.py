"""Parsing what `details` reads from a host (commands/overview.py): every container there,
and the routes whose slot b serves (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inspected:
    """One container as `inspect_format` prints it."""

    name: str
    image: str
    status: str  # running, exited, created, restarting, paused, dead
    exit_code: str
    health: str  # "" when it has no health check
    service: str  # its labels ("" when it has none)
    role: str
    destination: str
    ip: str  # on the app network; "" when not on it
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostListing:
    containers: list[Inspected] = field(default_factory=list)
    live_b: frozenset[str] = frozenset()  # routes whose slot b serves


def parse_listing(stdout: str) -> HostListing:
    """`containers_and_live_slots` output: container lines, a NUL, then route names."""
    listing, _, live = stdout.partition("\0")
    containers = [_container(line) for line in listing.splitlines() if line.strip()]
    return HostListing(containers, frozenset(n.strip() for n in live.splitlines() if n.strip()))


def _container(line: str) -> Inspected:
    fields = [*line.split("\t"), *[""] * 10][:10]
    name, image, status, code, health, service, role, destination, ip, aliases = fields
    return Inspected(
        name.strip().lstrip("/"), image.strip(), status.strip(), code.strip(), health.strip(),
        service.strip(), role.strip(), destination.strip(), ip.strip(), tuple(aliases.split()),
    )  # fmt: skip
