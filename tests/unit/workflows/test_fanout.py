"""on_hosts: every host finishes its step; failures are collected."""

from __future__ import annotations

import asyncio

import pytest

from dockyard.errors import CommandFailed, HostsFailed, Result, SshConnectError
from dockyard.workflows.fanout import on_hosts


async def test_results_come_back_per_host_in_host_order() -> None:
    async def step(host: str) -> str:
        await asyncio.sleep(0.01 if host == "a" else 0)
        return host.upper()

    assert await on_hosts(["a", "b", "c"], step) == {"a": "A", "b": "B", "c": "C"}


async def test_a_failing_host_does_not_cut_the_others_short() -> None:
    finished: list[str] = []

    async def step(host: str) -> str:
        if host == "bad":
            raise SshConnectError(host, "connection refused on port 22; is sshd running?")
        await asyncio.sleep(0.05)  # still running when "bad" fails
        finished.append(host)
        return host

    with pytest.raises(HostsFailed) as caught:
        await on_hosts(["good1", "bad", "good2"], step)
    assert sorted(finished) == ["good1", "good2"]
    assert list(caught.value.errors) == ["bad"]
    assert str(caught.value) == (
        "failed on 1 host(s): bad: connection refused on port 22; is sshd running?"
    )


async def test_every_failing_host_is_listed() -> None:
    async def step(host: str) -> None:
        raise CommandFailed(Result(host, "docker pull app", 1, "", "denied"))

    with pytest.raises(HostsFailed) as caught:
        await on_hosts(["a", "b"], step)
    assert set(caught.value.errors) == {"a", "b"}
    assert caught.value.__cause__ is None


async def test_a_bug_keeps_its_traceback_as_the_cause() -> None:
    async def step(host: str) -> None:
        raise KeyError("oops")

    with pytest.raises(HostsFailed) as caught:
        await on_hosts(["a"], step)
    assert isinstance(caught.value.__cause__, KeyError)


async def test_limit_bounds_how_many_run_at_once() -> None:
    running, peak = 0, 0

    async def step(host: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await on_hosts([f"h{i}" for i in range(7)], step, limit=3)
    assert peak == 3


async def test_duplicate_hosts_run_once_and_no_hosts_is_fine() -> None:
    calls: list[str] = []

    async def step(host: str) -> int:
        calls.append(host)
        return len(calls)

    assert await on_hosts(["a", "a"], step) == {"a": 1}
    assert await on_hosts([], step) == {}
