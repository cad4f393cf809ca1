"""Boot one role on one host: run the new version beside the old, health-gate, switch, drain, stop.

A failed health check stops the new container and leaves the old one serving: the proxy is
only switched once the new container answered its health check through the proxy itself, by
the slot alias the route will dial.
"""

from __future__ import annotations

import asyncio
import secrets as random_tokens
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from dockyard.commands import app as app_commands
from dockyard.commands.base import Command, all_of, write_stdin
from dockyard.commands.caddy_config import other_slot
from dockyard.errors import DockyardError, HostUnreachable, StepFailed, cited, reason
from dockyard.facts.app import ContainerInfo, ContainerState, parse_containers, parse_state
from dockyard.plan.role import RoleBoot
from dockyard.workflows.deploy.health import (
    HttpProbe,
    Outcome,
    Say,
    silent,
    wait_http_healthy,
    wait_running,
)
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

LOG_LINES = 30
CLEANUP_TIMEOUT = 10.0  # seconds for the logs and the stop of a container that failed its check


class BootFailed(DockyardError):
    """`<host>: <role>: <name> did not become healthy (<last answer>); <what was checked, how
    often, the keys that set it>; <where that leaves things>; <its logs>`."""

    def __init__(
        self, host: str, role: str, name: str, outcome: Outcome, logs: str, after: str
    ) -> None:
        self.host, self.role, self.name, self.detail, self.logs = (
            host, role, name, outcome.detail, logs
        )  # fmt: skip
        self.summary = f"{role}: {name} did not become healthy ({outcome.detail})"
        shown = "its last log lines are shown below" if logs else "it logged nothing"
        how = f"; {outcome.how}" if outcome.how else ""
        super().__init__(f"{host}: {self.summary}{how}; {after}; {shown}")


class VersionGone(DockyardError):
    """A rollback to a version whose container is gone (pruned, removed, never deployed)."""


# Where a failed boot leaves the host, by how far it got (a new container that passed its
# check serves only once switched; the old one is stopped only in the deploy's last trip),
# by RoleLeft.state: kept, unknown (a switch that may not have happened), switched.
AFTER = {
    "kept": "any previous version keeps serving; deploy again once this is fixed",
    "unknown": "{name} or the previous version serves (both run); deploy again",
    "switched": (
        "{name} serves; the previous version was left running out of the live slot "
        "(the next deploy stops it)"
    ),
}
KEPT = AFTER["kept"]
UNANSWERED = "what it left running is unknown; deploy again once it answers"


class RoleStepFailed(StepFailed):
    """A step of one role's boot failed; `left` is where that leaves the role (RoleLeft.state)."""

    def __init__(
        self, host: str, role: str, what: str, error: BaseException, left: str, after: str
    ) -> None:
        self.role, self.left = role, left
        super().__init__(host, f"{role}: {what}", error, after)


@contextmanager
def _step(server: Server, plan: RoleBoot, what: str, left: str) -> Iterator[None]:
    """A failure in this step of the role's boot becomes one line: host, role, step, cause,
    and where it leaves the role (`left`: unknown instead when the host stopped answering)."""
    try:
        yield
    except (BootFailed, StepFailed, VersionGone):
        raise
    except Exception as error:
        if isinstance(error, HostUnreachable):
            left, after = "unknown", UNANSWERED
        else:
            after = AFTER[left].format(name=plan.container.name)
        raise RoleStepFailed(server.host, plan.role, what, error, left, after) from error


class Barrier:
    """Non-primary roles wait until the first primary-role container is healthy (Kamal's rule).

    The primary role's boots open it, or close it when they fail at any step, so a waiting role
    always wakes: with `ok`, or with the reason the primary role failed."""

    def __init__(self, primary_role: str) -> None:
        self.primary_role = primary_role
        self._event = asyncio.Event()
        self.ok = False
        self.failure = ""  # "<host>: <what failed and why>" of the primary boot that closed it

    def open(self) -> None:
        if not self._event.is_set():
            self.ok = True
            self._event.set()

    def close(self, failure: str) -> None:
        if not self._event.is_set():
            self.failure = failure
            self._event.set()

    async def wait(self) -> bool:
        await self._event.wait()
        return self.ok


@dataclass(frozen=True)
class Booted:
    host: str
    role: str
    name: str
    stopped: tuple[str, ...]  # the old versions this boot replaced (drained, not yet stopped)
    stop: Command | None  # stops them: the deploy runs it in its last trip to the host
    healthy_at: float  # time.monotonic() when the new container passed its check
    switched_at: float | None  # when the proxy served it (None for roles without the proxy)
    # requests still in flight to old versions at drain_timeout, or retrying a failed dial
    undrained: dict[str, int]


async def boot_role_on_host(
    server: Server,
    plan: RoleBoot,
    proxy: ProxyController | None,
    barrier: Barrier | None = None,
    say: Say = silent,
) -> Booted:
    """Boot the role; a primary role's boot opens the barrier once healthy, and closes it if
    it fails at any step (so the other roles never wait for a boot that will not come). A
    health check that takes a while says how it goes (`say`, for the host's progress)."""
    if barrier is None:
        return await _boot(server, plan, proxy, None, say)
    if not plan.primary:
        if not await barrier.wait():
            raise DockyardError(
                f"{server.host}: {plan.role}: not booted, because the primary role "
                f"{barrier.primary_role} failed on {barrier.failure}; {KEPT}"
            )
        return await _boot(server, plan, proxy, None, say)
    try:
        return await _boot(server, plan, proxy, barrier, say)
    except BaseException as error:
        barrier.close(_failure(server.host, error))
        raise


def _failure(host: str, error: BaseException) -> str:
    """`<host> (<what failed and why>)`, for the roles that waited on the barrier."""
    if isinstance(error, BootFailed):
        return f"{host} ({error.summary})"
    if isinstance(error, StepFailed):
        return f"{host} ({error.what} failed: {cited(error, host)})"
    return f"{host} ({cited(error, host)})"


async def _boot(
    server: Server,
    plan: RoleBoot,
    proxy: ProxyController | None,
    barrier: Barrier | None,
    say: Say,
) -> Booted:
    name = plan.container.name
    slot = None
    if plan.route is not None and proxy is not None:
        with _step(server, plan, "reading the proxy's live slot", "kept"):
            slot = await proxy.free_slot(plan.route.name)  # the new version's; the live one serves
        plan = replace(plan, container=replace(plan.container, network_alias=plan.slot_alias(slot)))
    started: ContainerState | None = None
    with _step(server, plan, f"starting {name}", "kept"):
        if plan.restart_existing:
            containers, new_id, slot = await _restart_existing(server, plan, slot)
        else:
            containers, new_id, started = await _run_new(server, plan)
    old = [c for c in containers if _serving(c, plan) and c.id != new_id]
    with _step(server, plan, f"checking {name}", "kept"):
        outcome = await _wait_ready(server, plan, proxy, slot, started, say)
    if not outcome.healthy:
        await _fail(server, plan.role, name, outcome)
    healthy_at = time.monotonic()
    if barrier is not None:
        barrier.open()
    switched_at: float | None = None
    undrained: dict[str, int] = {}
    if plan.route is not None and proxy is not None:
        assert slot is not None
        switched_at, undrained = await _switch(server, plan, proxy, slot)
    # Nothing reaches the old containers any more (drained, out of the live slot): stopping
    # them is left to the deploy's last trip to this host, which saves a round trip.
    stop = app_commands.stop(server.engine, *(c.id for c in old), timeout=plan.stop_timeout)
    stopped = tuple(c.name for c in old)
    return Booted(
        server.host, plan.role, name, stopped, stop if old else None, healthy_at, switched_at,
        undrained,
    )  # fmt: skip


async def _switch(
    server: Server, plan: RoleBoot, proxy: ProxyController, slot: str
) -> tuple[float, dict[str, int]]:
    """Make the new version's slot serve the route, then wait until the old one is drained:
    (when it was switched, what was still in flight to the old version at drain_timeout)."""
    assert plan.route is not None
    name = plan.container.name
    if plan.certificate_pem is not None:  # in place before Caddy is told to load it
        cert_dir = plan.certificate_path.rsplit("/", 1)[0]
        write = all_of(app_commands.make_dirs(cert_dir), write_stdin(plan.certificate_path))
        with _step(server, plan, "writing the certificate", "kept"):
            await server.run(write, input=plan.certificate_pem)
    with _step(server, plan, f"switching the proxy to {name}", "unknown"):
        switched = await proxy.switch(plan.route, slot)
    switched_at = time.monotonic()
    previous = switched.previous
    # The old version is reached through the other slot, or, for a route written before
    # slots, through the addresses it named.
    draining = list(previous.upstreams) if previous and previous.upstreams else []
    draining.append(plan.route.slot_upstream(other_slot(slot)))
    with _step(server, plan, "watching the previous version drain", "switched"):
        undrained = await proxy.wait_drained(
            draining, plan.drain_timeout, reloaded=switched.reloaded
        )
    return switched_at, undrained


def _serving(container: ContainerInfo, plan: RoleBoot) -> bool:
    """A running container of this role: it serves until the new one has taken over."""
    running = container.state in ("running", "restarting")
    return running and container.name.startswith(plan.prefix)


def _filters(plan: RoleBoot) -> list[str]:
    return app_commands.label_filters(plan.service, plan.role, plan.destination)


async def _run_new(
    server: Server, plan: RoleBoot
) -> tuple[list[ContainerInfo], str, ContainerState]:
    """The role's containers before the boot, the new container's short id and its state
    (address): one round trip (the secrets reach the server on standard input, into the 0600
    env file)."""
    env_dir = plan.env_file_path.rsplit("/", 1)[0]
    aside = f"{plan.container.name}{app_commands.REPLACED}{random_tokens.token_hex(8)}"
    command = app_commands.list_then_run(
        server.engine, plan.container, _filters(plan), env_dir, aside
    )
    started = await server.run(command, input=plan.env_file)
    listing, _, ran = started.stdout.partition(app_commands.RUN_MARKER + "\n")
    *_, new_id, state = ran.rstrip("\n").splitlines()
    return parse_containers(listing), new_id[:12], parse_state(state)


async def _restart_existing(
    server: Server, plan: RoleBoot, slot: str | None
) -> tuple[list[ContainerInfo], str, str | None]:
    """A rollback starts the stopped container of that version: same image, same env, in the
    free slot. One already running keeps its slot (it may be the one serving)."""
    engine = server.engine
    listing = await server.run(app_commands.list_containers(engine, _filters(plan)))
    containers = parse_containers(listing.stdout)
    existing = next((c for c in containers if c.name == plan.container.name), None)
    if existing is None:
        raise VersionGone(
            f"{server.host}: {plan.role}: version {plan.version} is not kept as a container here "
            f"(`dockyard app containers` lists them); nothing was changed: deploy {plan.version} "
            "instead"
        )
    alias = plan.container.network_alias
    if existing.state == "running":
        if alias and slot:
            aliases = await server.run(app_commands.inspect_aliases(engine, existing.id))
            if plan.slot_alias(other_slot(slot)) in aliases.stdout.split():
                slot = other_slot(slot)  # it serves already: the switch changes nothing
        return containers, existing.id, slot
    start = (
        app_commands.start_in_slot(engine, existing.id, alias, plan.container.network)
        if alias
        else app_commands.start(engine, existing.id)
    )
    await server.run(start)
    return containers, existing.id, slot


async def _wait_ready(
    server: Server,
    plan: RoleBoot,
    proxy: ProxyController | None,
    slot: str | None,
    started: ContainerState | None,
    say: Say,
) -> Outcome:
    """Proxied roles: dockyard's own HTTP check of the health path, through the proxy to the
    slot alias the switch will make it dial; others: Kamal's rule."""
    deadline = time.monotonic() + plan.deploy_timeout
    name = plan.container.name
    if plan.route is None or proxy is None:
        return await wait_running(
            server, name, plan.readiness_delay, deadline, role=plan.role, say=say
        )
    assert slot is not None
    upstream = plan.route.slot_upstream(slot)
    probe = HttpProbe(plan.app_port, plan.health, plan.health_key, plan.port_key, proxy, upstream)
    return await wait_http_healthy(server, name, probe, deadline, started, say)


async def _fail(server: Server, role: str, name: str, outcome: Outcome) -> None:
    """Keep its last log lines and stop the unhealthy container (best effort: the host may be
    the reason it failed), then raise BootFailed."""
    engine = server.engine
    logs, after = "", f"it was stopped and {KEPT}"
    try:
        result = await server.run(
            app_commands.logs(engine, name, lines=LOG_LINES), check=False, timeout=CLEANUP_TIMEOUT
        )
        logs = (result.stdout + result.stderr).strip()
        stopped = await server.run(
            app_commands.stop_for_good(engine, name), timeout=CLEANUP_TIMEOUT
        )
        if stopped.stdout.strip() == app_commands.REMOVED:
            after = f"it kept restarting after it was stopped, so it was removed; {KEPT}"
    except HostUnreachable as error:  # the ledger reads the cause: this role is unknown
        after = f"the host stopped answering before it could be stopped; {UNANSWERED}"
        raise BootFailed(server.host, role, name, outcome, logs, after) from error
    except DockyardError as error:
        after = f"stopping it failed too ({reason(error, server.host)}); {KEPT}"
    raise BootFailed(server.host, role, name, outcome, logs, after)
