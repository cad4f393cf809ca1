"""dockyard's own readiness checks of a new container.

Proxied roles: an HTTP GET of the health path, sent to the container's address on the server's
network through a TCP channel of the SSH connection (no curl needed on the server, and the
same on Docker and Podman, where health checks don't run without systemd). Other roles: the
engine's health status when the container has a health check, else running + readiness_delay.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

import h11

from dockyard.commands import app as app_commands
from dockyard.config.model import Healthcheck
from dockyard.errors import DockyardError
from dockyard.facts.app import ContainerState, parse_state
from dockyard.workflows.http import exchange
from dockyard.workflows.server import Server

FIRST_PAUSE = 0.1  # seconds before the second probe; doubling up to the check's interval
STATE_EVERY = 3  # probes per read of the container's state
STATE_PAUSE = 0.5  # seconds before the second read of a role's state without the proxy; growing


@dataclass(frozen=True)
class Outcome:
    healthy: bool
    detail: str  # the last answer: "200 OK", "503: body…", "connection refused", "exited (1)"


async def wait_http_healthy(
    server: Server,
    name: str,
    port: int,
    check: Healthcheck,
    deadline: float,
    known: ContainerState | None = None,
) -> Outcome:
    """Probe until a 2xx, the container stops, or the deadline (a time.monotonic value).

    `known` is the state read when the container was started: its address is probed at once.
    Then the state is read again every STATE_EVERY probes (and whenever there is no address),
    to stop waiting for a container that exited: each read is a round trip."""
    detail = "no answer yet"
    state = known
    for attempt in itertools.count():
        if state is None or not state.ip or attempt % STATE_EVERY == STATE_EVERY - 1:
            state = await _state(server, name)
        if state.status not in ("running", "created", "restarting"):
            return Outcome(False, f"the container is {state.status}")
        if state.ip:
            ok, detail = await http_check(server, state.ip, port, check.path, check.timeout)
            if ok:
                return Outcome(True, detail)
        # An app usually answers a moment after it starts: look again soon, then every interval.
        pause = min(check.interval, FIRST_PAUSE * 2**attempt)
        if time.monotonic() + pause > deadline:
            return Outcome(False, detail)
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def wait_running(
    server: Server,
    name: str,
    readiness_delay: float,
    deadline: float,
) -> Outcome:
    """Kamal's rule for roles without the proxy: healthy, or running after readiness_delay."""
    delay = STATE_PAUSE
    while True:
        state = await _state(server, name)
        if state.health == "healthy":
            return Outcome(True, "healthy")
        if not server.engine.runs_health_checks and state.health == "starting":
            state = await _run_health_check(server, name, state)
        if state.health == "healthy":
            return Outcome(True, "healthy")
        if state.status == "running" and not state.health:
            await asyncio.sleep(readiness_delay)
            again = await _state(server, name)
            if again.status == "running":
                return Outcome(True, "running")
            state = again
        if state.status in ("exited", "dead") or state.health == "unhealthy":
            return Outcome(False, state.health or f"the container is {state.status}")
        if time.monotonic() + delay > deadline:
            return Outcome(False, state.health or state.status)
        await asyncio.sleep(delay)
        delay = min(delay + STATE_PAUSE, 3.0)


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


async def http_check(
    server: Server,
    address: str,
    port: int,
    path: str,
    timeout: float,
) -> tuple[bool, str]:
    """GET address:port/path from the host, through the SSH connection: (2xx?, one-line answer)."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await server.open_tcp_connection(address, port)
            try:
                response = await exchange(reader, writer, "GET", path, host=address)
            finally:
                writer.close()
    except TimeoutError:
        return False, f"no answer within {timeout:g}s"
    except (OSError, EOFError, DockyardError, h11.ProtocolError) as error:  # not healthy yet
        return False, f"{type(error).__name__}: {error}".strip(": ")
    body = " ".join(response.body.decode(errors="replace").split())[:120]  # one line
    return 200 <= response.status < 300, f"{response.status}" + (f": {body}" if body else "")
