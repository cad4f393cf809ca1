"""Parsers of container listings and inspections (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    state: str  # running, exited, created, restarting, paused, dead
    created: str


@dataclass(frozen=True)
class ContainerState:
    status: str
    health: str  # "" when the container has no health check
    ip: str  # "" when it is not on the network


def parse_containers(stdout: str) -> list[ContainerInfo]:
    """`list_containers` output (newest first, as the engine lists them)."""
    found = []
    for line in stdout.splitlines():
        if line.strip():
            name, state, created = [*line.split("\t"), "", ""][:3]
            found.append(ContainerInfo(name.strip(), state.strip().lower(), created.strip()))
    return found


def parse_state(stdout: str) -> ContainerState:
    status, health, ip = [*stdout.strip("\n").split("\t"), "", ""][:3]
    return ContainerState(status.strip(), health.strip(), ip.strip())


def version_of(container: str, prefix: str) -> str | None:
    """`demo-web-v2` with prefix `demo-web-` -> `v2`; None for other containers."""
    if not container.startswith(prefix):
        return None
    version = container[len(prefix) :]
    return None if "_replaced_" in version or not version else version


def parse_booted_versions(audit_log: str) -> list[str]:
    """Versions in the order they were booted, from the audit log's "Booted app version" lines."""
    marker = "Booted app version "
    return [
        line.split(marker, 1)[1].split()[0]
        for line in audit_log.splitlines()
        if marker in line and line.split(marker, 1)[1].split()
    ]


def previous_version(booted: list[str], current: str | None, available: set[str]) -> str | None:
    """The version served before the current one that still has a container to start.

    Versions that never served (a deploy whose health check failed) are not in the audit log,
    so they are never picked.
    """
    for version in reversed(booted):
        if version != current and version in available:
            return version
    return None
