"""Kamal's `boot.limit` and `boot.wait`, as pure data: which hosts boot together, how long apart.

    pacing = boot_pacing(limit="25%", wait=None, host_count=8)   # BootPacing(limit=2, wait=2.0)
    host_groups(["a", "b", "c"], pacing.limit)                  # [("a", "b"), ("c",)]

As in Kamal, a percentage is taken of `host_count` (Kamal counts every host of the config,
accessories included), rounded down, at least 1; and SSHKit's group runner waits 2 s between
groups when `wait` is not set. No limit means one group of every host, with no wait.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.errors import ConfigError

SSHKIT_DEFAULT_WAIT = 2.0
_PERCENT = re.compile(r"(\d+)%\Z")


@dataclass(frozen=True)
class BootPacing:
    limit: int | None = None
    wait: float = 0.0


def boot_pacing(limit: int | str | None, wait: float | None, *, host_count: int) -> BootPacing:
    """The group size and the pause between groups for `boot:` in deploy.yml."""
    if limit is None:
        return BootPacing()
    size = resolve_limit(limit, host_count)
    if wait is not None and wait < 0:
        raise ConfigError("should not be negative", key="boot/wait")
    return BootPacing(limit=size, wait=SSHKIT_DEFAULT_WAIT if wait is None else float(wait))


def resolve_limit(limit: int | str, host_count: int) -> int:
    """A number of hosts from `3`, `"3"` or `"25%"` (of host_count, rounded down, at least 1)."""
    if isinstance(limit, bool):
        raise ConfigError("should be a number or a percentage like 25%", key="boot/limit")
    if isinstance(limit, str):
        text = limit.strip()
        match = _PERCENT.match(text)
        if match:
            return max(host_count * int(match.group(1)) // 100, 1)
        if not text.isdigit():
            raise ConfigError("should be a number or a percentage like 25%", key="boot/limit")
        limit = int(text)
    if limit < 1:
        raise ConfigError("should be at least 1", key="boot/limit")
    return limit


def host_groups(hosts: Sequence[str], limit: int | None) -> list[tuple[str, ...]]:
    """Hosts in order, cut into groups of `limit` (the last one may be smaller)."""
    if not hosts:
        return []
    if limit is None:
        return [tuple(hosts)]
    if limit < 1:
        raise ValueError("host_groups: limit should be at least 1")
    return [tuple(hosts[i : i + limit]) for i in range(0, len(hosts), limit)]
