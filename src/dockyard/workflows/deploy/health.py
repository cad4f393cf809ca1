"""dockyard's own readiness checks of a new container.

Proxied roles: an HTTP GET of the health path, sent through the proxy's probe socket to the
slot alias the route will dial, so it passes only once the proxy itself reaches the container
by that name (its resolver answers it, its network routes to it); proxied accessories, checked
before the proxy routes to them: sent to the container's address through a TCP channel of the
SSH connection. Neither needs curl on the server, and both work the same on Docker and Podman,
where health checks don't run without systemd. Other roles: the engine's health status when
the container has a health check, else running + readiness_delay.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.commands import app as app_commands
from dockyard.config.model import Healthcheck
from dockyard.facts.app import ContainerState, parse_state
from dockyard.workflows.http import http_check
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

FIRST_PAUSE = 0.1  # seconds before the second probe; doubling up to the check's interval
STATE_EVERY = 3  # probes per read of the container's state
STATE_PAUSE = 0.5  # seconds before the second read of a role's state without the proxy; growing
REPORT_AFTER = 2.0  # seconds of waiting before the first progress line (a quick boot says none)
REPORT_EVERY = 5.0  # seconds between progress lines after that

Say = Callable[[str], None]  # one progress line about the wait (the caller names host and role)


def silent(message: str) -> None:
    """A Say that says nothing."""


@dataclass(frozen=True)
class Outcome:
    healthy: bool
    detail: str  # the last answer: '404 Not Found: "…"', "no answer within 5s"...
    how: str = ""  # what was checked, how often, and the keys that set it: for a failure's line


@dataclass(frozen=True)
class HttpProbe:
    """dockyard's HTTP check of a new container, and the config keys that set it. With
    `proxy`, the GET goes through the proxy's probe server to `upstream` (the slot alias and
    port the route will dial); without, to the container's address on `port`."""

    port: int
    check: Healthcheck
    path_key: str = "proxy/healthcheck/path"
    port_key: str = "proxy/app_port"
    proxy: ProxyController | None = None
    upstream: str = ""

    async def send(self, server: Server, address: str) -> tuple[bool, str]:
        """One GET of the health path to the container at this address: (2xx?, the answer in
        one line)."""
        path, timeout = self.check.path, self.check.timeout
        if self.proxy is not None:
            return await self.proxy.probe(self.upstream, path, timeout)
        return await http_check(server, address, self.port, path, timeout)

    @property
    def target(self) -> str:
        return f"GET {self.check.path}"

    def how(self, attempts: int, seconds: float) -> str:
        keys = f"{self.target} ({self.path_key}, default {Healthcheck().path}) on port {self.port}"
        if not attempts:
            return f"{keys} ({self.port_key}) was not probed: the container stopped first"
        return f"probed {keys} ({self.port_key}) {_times(attempts)} in {seconds:.1f}s"


class Ticker:
    """Says how a wait goes once it lasts REPORT_AFTER seconds, then every REPORT_EVERY."""

    def __init__(self, say: Say, deadline: float) -> None:
        self.say, self.start = say, time.monotonic()
        self.total = max(deadline - self.start, 0.0)
        self.due = REPORT_AFTER

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def tick(self, waiting: str, last: str) -> None:
        """`<what waits>, <elapsed> of <total>; <the last answer>` when one is due."""
        elapsed = self.elapsed
        if elapsed >= self.due:
            self.say(f"{waiting}, {elapsed:.0f}s of {self.total:.0f}s; {last}")
            self.due = elapsed + REPORT_EVERY


async def wait_http_healthy(
    server: Server,
    name: str,
    probe: HttpProbe,
    deadline: float,
    known: ContainerState | None = None,
    say: Say = silent,
) -> Outcome:
    """Probe until a 2xx, the container stops, or the deadline (a time.monotonic value).

    `known` is the state read when the container was started: its address is probed at once.
    Then the state is read again every STATE_EVERY probes (and whenever there is no address),
    to stop waiting for a container that exited: each read is a round trip. A wait that lasts
    says how it goes (`say`), which costs no round trip."""
    detail = "no answer yet"
    state = known
    ticker = Ticker(say, deadline)
    for attempt in itertools.count():
        if state is None or not state.ip or attempt % STATE_EVERY == STATE_EVERY - 1:
            state = await _state(server, name)
        if state.status not in ("running", "created", "restarting"):
            how = probe.how(attempt, ticker.elapsed)
            return Outcome(False, f"the container is {state.status}", how)
        if state.ip:  # on the network: reachable by its address, and by its alias
            ok, detail = await probe.send(server, state.ip)
            if ok:
                return Outcome(True, detail)
        ticker.tick(f"{name} not healthy yet: attempt {attempt + 1}", f"{probe.target}: {detail}")
        # An app usually answers a moment after it starts: look again soon, then every interval.
        pause = min(probe.check.interval, FIRST_PAUSE * 2**attempt)
        if time.monotonic() + pause > deadline:
            return Outcome(False, detail, probe.how(attempt + 1, ticker.elapsed))
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def wait_running(
    server: Server,
    name: str,
    readiness_delay: float,
    deadline: float,
    *,
    role: str,
    say: Say = silent,
) -> Outcome:
    """Kamal's rule for roles without the proxy: healthy, or running after readiness_delay."""
    delay = STATE_PAUSE
    ticker = Ticker(say, deadline)
    while True:
        state = await _state(server, name)
        if state.health == "healthy":
            return Outcome(True, "healthy")
        if not server.engine.runs_health_checks and state.health == "starting":
            state = await _run_health_check(server, name, state)
        if state.health == "healthy":
            return Outcome(True, "healthy")
        if state.status == "running" and not state.health:
            if readiness_delay >= REPORT_AFTER:
                say(f"{name} runs; checking that it still runs after readiness_delay "
                    f"({readiness_delay:g}s)")  # fmt: skip
            await asyncio.sleep(readiness_delay)
            again = await _state(server, name)
            if again.status == "running":
                return Outcome(True, "running")
            state = again
        how = _running_how(role, state, readiness_delay, ticker.elapsed)
        if state.status in ("exited", "dead") or state.health == "unhealthy":
            return Outcome(False, state.health or f"the container is {state.status}", how)
        if time.monotonic() + delay > deadline:
            return Outcome(False, state.health or state.status, how)
        ticker.tick(f"{name} not ready yet", state.health or state.status)
        await asyncio.sleep(delay)
        delay = min(delay + STATE_PAUSE, 3.0)


def _running_how(role: str, state: ContainerState, readiness_delay: float, seconds: float) -> str:
    """What decides that a role without the proxy is ready, and the keys that set it."""
    if state.health:
        return (
            f"checked by its own health check (the image's HEALTHCHECK, or "
            f"servers/{role}/options/health-cmd) for {seconds:.1f}s"
        )
    return (
        f"without the proxy, a container is ready once it still runs after readiness_delay "
        f"({readiness_delay:g}s)"
    )


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


async def _state(server: Server, name: str) -> ContainerState:
    result = await server.run(app_commands.inspect_state(server.engine, name), check=False)
    if result.ok:
        return parse_state(result.stdout)
    said = (result.stderr.strip().splitlines() or [""])[-1].strip()[:200]
    return ContainerState(f"missing ({said})" if said else "missing", "", "")


async def _run_health_check(server: Server, name: str, state: ContainerState) -> ContainerState:
    # Podman schedules health checks with systemd timers; without systemd, run one ourselves.
    result = await server.run(app_commands.run_health_check(server.engine, name), check=False)
    return ContainerState(state.status, "healthy" if result.ok else "starting", state.ip)
