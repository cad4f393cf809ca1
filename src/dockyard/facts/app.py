"""Parsers of container listings and inspections (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands.app import REPLACED


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    state: str  # running, exited, created, restarting, paused, dead
    created: str
    id: str = ""  # the short (12 character) id, also a DNS name on the engine's network


@dataclass(frozen=True)
class ContainerState:
    status: str
    health: str  # "" when the container has no health check
    ip: str  # "" when it is not on the network


# Docker prints `running`; Podman 4 prints `Up 21 seconds ago`, `Exited (0) 1 second ago`, ...
_PODMAN_STATES = {"up": "running"}


def parse_containers(stdout: str) -> list[ContainerInfo]:
    """`list_containers` output, newest first (Docker lists newest first, Podman oldest first)."""
    found = []
    for line in stdout.splitlines():
        if line.strip():
            name, state, created, cid = [*line.split("\t"), "", "", ""][:4]
            word = (state.split() or [""])[0].lower()
            state = _PODMAN_STATES.get(word, word)
            found.append(ContainerInfo(name.strip(), state, created.strip(), cid.strip()[:12]))
    return sorted(found, key=lambda c: c.created, reverse=True)


def parse_state(stdout: str) -> ContainerState:
    status, health, ip = [*stdout.strip("\n").split("\t"), "", ""][:3]
    return ContainerState(status.strip(), health.strip(), ip.strip())


def version_of(container: str, prefix: str) -> str | None:
    """`demo-web-v2` with prefix `demo-web-` -> `v2`; None for other containers."""
    if not container.startswith(prefix):
        return None
    version = container[len(prefix) :]
    return None if REPLACED in version or not version else version


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
