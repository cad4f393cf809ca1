"""Running one step on many hosts at once, without one host's failure cutting another short.

    results = await on_hosts(hosts, step, limit=None)      # {host: step(host)} or HostsFailed
    results = await on_servers(servers, step)              # {host: step(server)}, the same way

Every host runs its step to completion, as Kamal's boot does: a half-booted host is worse than a
failed one, since each step cleans up after itself. Failures are collected and raised together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dockyard.errors import DockyardError, HostsFailed
from dockyard.workflows.server import Server

T = TypeVar("T")
Step = Callable[[str], Awaitable[T]]


async def on_hosts(
    hosts: Sequence[str], step: Step[T], *, limit: int | None = None
) -> dict[str, T]:
    """Run `step(host)` on every host, at most `limit` at a time; {host: result} in host order.

    Raises HostsFailed with each failing host's error once every host has finished. Cancelling
    the caller cancels every step (asyncio itself lets KeyboardInterrupt through at once).
    """
    unique = list(dict.fromkeys(hosts))
    if limit is not None and limit < 1:
        raise ValueError("on_hosts: limit should be at least 1")
    slots = asyncio.Semaphore(limit or max(len(unique), 1))

    async def one(host: str) -> T:
        async with slots:
            return await step(host)

    outcomes = await asyncio.gather(*(one(host) for host in unique), return_exceptions=True)
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}
    for host, outcome in zip(unique, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            errors[host] = outcome
        else:
            results[host] = outcome
    if errors:
        raise _hosts_failed(errors)
    return results


async def on_servers(
    servers: Sequence[Server], step: Callable[[Server], Awaitable[T]], *, limit: int | None = None
) -> dict[str, T]:
    """on_hosts for steps that take the Server: {host: step(server)}."""
    by_host = {server.host: server for server in servers}
    return await on_hosts(list(by_host), lambda host: step(by_host[host]), limit=limit)


def _hosts_failed(errors: dict[str, BaseException]) -> HostsFailed:
    failed = HostsFailed(errors)
    # A bug (not a DockyardError) keeps its traceback visible under --verbose.
    bug = next((e for e in errors.values() if not isinstance(e, DockyardError)), None)
    failed.__cause__ = bug
    return failed
