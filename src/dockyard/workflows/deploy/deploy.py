"""`deploy`, `redeploy` and `rollback`: Kamal's sequence, driven by a DeployPlan.

lock → pre-deploy hook → proxy boot (in its first trip, each role's assets extracted and
bridged, on every host) → per boot group: pre-app-boot hook, boot every role on every host of
the group in parallel (run new, health-gate, switch, drain), post-app-boot hook, boot.wait →
stop the old versions, retire their assets, tag latest, audit, prune → release lock →
post-deploy hook.
A host that fails never cancels the others mid-step; the error names every failed host, and
once booting began it comes as DeployFailed, which says where each role on each host was left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard.commands import app as app_commands
from dockyard.commands import assets as asset_commands
from dockyard.commands import prune as prune_commands
from dockyard.commands.base import Command, all_of
from dockyard.errors import DeployFailed, DockyardError, StepFailed
from dockyard.facts.proxy import ProxyState
from dockyard.facts.prune import parse_pruned
from dockyard.plan import routes
from dockyard.plan.deploy import DeployPlan
from dockyard.ssh.transport import Transport
from dockyard.workflows.deploy.boot import Booted
from dockyard.workflows.deploy.groups import Booting, Report
from dockyard.workflows.deploy.outcome import Ledger
from dockyard.workflows.fanout import on_hosts
from dockyard.workflows.hooks import HookContext, run_hook
from dockyard.workflows.lock import DeployLock, holding_lock, new_details
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

NOTHING_BOOTED = "no version was changed; deploy again once this is fixed"
FINISH_STEPS = "stopping the replaced versions{}, tagging latest, the audit line, pruning"
RETIRE_STEP = " and retiring their assets"
UNFINISHED = "the replaced versions may still run: `dockyard app stale_containers --stop`"


BeforeRelease = Callable[[], Awaitable[tuple[str, ...]]]  # its warnings


def _quiet(host: str, message: str) -> None:
    pass


@dataclass(frozen=True)
class DeployOptions:
    command: str = "deploy"
    boot_proxy: bool = True
    prune: bool = True
    skip_hooks: bool = False
    deploy_hooks: bool = True  # pre-/post-deploy (`app boot` runs only the app-boot ones)
    lock_wait: float = 0
    lock_interval: float = 15
    take_over_routes: bool = False  # a route may take hosts another app serves (plan/routes.py)


@dataclass(frozen=True)
class DeployResult:
    booted: tuple[Booted, ...]
    seconds: float
    warnings: tuple[str, ...] = ()  # one line each: what failed after the switch (a prune)


async def deploy(
    transport: Transport,
    plan: DeployPlan,
    options: DeployOptions,
    report: Report = _quiet,
    before_release: BeforeRelease | None = None,
) -> DeployResult:
    """The deploy; once booting began, a failure raises DeployFailed, which says where each
    role on each host was left (its message is the failure's own). `before_release`: a last
    step under the lock, after every host finished (the job scheduler's update), which returns
    its warnings."""
    ledger = Ledger(plan)
    try:
        return await _deploy(transport, plan, options, report, ledger, before_release)
    except DockyardError as error:
        if not ledger.began:
            raise
        raise DeployFailed(error, ledger.rows()) from error


async def _deploy(
    transport: Transport,
    plan: DeployPlan,
    options: DeployOptions,
    report: Report,
    ledger: Ledger,
    before_release: BeforeRelease | None,
) -> DeployResult:
    start = time.monotonic()
    hooks = HookContext(
        service=plan.service, version=plan.version, performer=plan.performer,
        command=options.command, destination=plan.destination, hosts=plan.hosts,
        roles=plan.roles_filter, lock=True, extra=plan.extra_hook_env,
    )  # fmt: skip
    lock = DeployLock(
        Server(transport, plan.primary_host, plan.engine), plan.service, plan.destination
    )
    details = new_details(plan.version, user=plan.performer)

    def warn(message: str) -> None:
        report("", message)

    async with holding_lock(
        lock, details, wait=options.lock_wait, interval=options.lock_interval, warn=warn
    ) as owned:
        skip = options.skip_hooks or not options.deploy_hooks
        await run_hook(Path(plan.hooks_path), "pre-deploy", hooks, skip=skip)
        proxies = await _proxies(transport, plan, options, report)
        booting = Booting(transport, plan, proxies, report, ledger)
        stops = booting.stops
        try:
            ledger.began = True
            booted = await booting.all_groups(hooks, skip_hooks=options.skip_hooks)
        except BaseException:
            await _stop_replaced(transport, stops)  # what did switch keeps no old one running
            raise
        # the lock is released in the finish trip of its host, unless a step comes after it
        held = lock if owned and before_release is None else None
        finished = await on_hosts(
            plan.hosts,
            lambda host: _finish(transport, plan, host, options, held, stops.get(host, [])),
        )
        last_warnings: tuple[str, ...] = ()
        if before_release is not None:
            last_warnings = await before_release()
            if owned:  # here, so that a release that fails is tried again, as a finish trip's
                await lock.release()
                lock.released = True
    seconds = time.monotonic() - start
    done = replace(hooks, lock=False, extra={**hooks.extra, "KAMAL_RUNTIME": str(round(seconds))})
    skip = options.skip_hooks or not options.deploy_hooks
    await run_hook(Path(plan.hooks_path), "post-deploy", done, skip=skip)
    warnings = tuple(warning for warning in finished.values() if warning) + last_warnings
    return DeployResult(tuple(booted), seconds, warnings)


async def _proxies(
    transport: Transport, plan: DeployPlan, options: DeployOptions, report: Report
) -> dict[str, ProxyController]:
    """The proxy of every proxy host, its routes read and checked (_checked_routes), then
    booted from the state read."""
    proxies = {
        host: ProxyController(Server(transport, host, plan.engine), plan.proxy_settings)
        for host in plan.proxy_hosts
    }
    states = await _checked_routes(proxies, plan, options, report)

    async def ready(host: str) -> None:
        if not options.boot_proxy:  # redeploy, rollback, app boot: the proxy must run already
            try:
                await proxies[host].refresh(states[host])
            except Exception as error:
                raise StepFailed(host, "checking the proxy", error, NOTHING_BOOTED) from error
            return
        try:
            await proxies[host].boot(plan.proxy_containers[host], states[host])
        except Exception as error:
            raise StepFailed(host, "booting the proxy", error, NOTHING_BOOTED) from error
        report(host, "proxy ready")

    await on_hosts(list(proxies), ready)
    return proxies


async def _checked_routes(
    proxies: dict[str, ProxyController], plan: DeployPlan, options: DeployOptions, report: Report
) -> dict[str, ProxyState]:
    """Each proxy's state, read in the deploy's first trip to its host, and its routes checked
    under the lock, before the proxy boots: a host another app's route serves is refused (the
    release checked before anything changed: this refuses what another app took since), or
    with take_over_routes handed over when ours switches (plan/routes.py)."""
    what = "booting the proxy" if options.boot_proxy else "reading the proxy's routes"

    async def read(host: str) -> ProxyState:
        # Every host has the new version's assets before any host boots it (in this trip).
        prepare = _prepare_assets(plan, host)
        roles = ", ".join(b.role for b in plan.boots_on(host) if b.assets is not None)
        step = f"extracting the assets of {roles} and {what}" if prepare else what
        try:
            return await proxies[host].state(before=prepare)
        except Exception as error:
            raise StepFailed(host, step, error, NOTHING_BOOTED) from error

    states = await on_hosts(list(proxies), read)
    served = {host: state.routes for host, state in states.items()}
    taken = routes.check(routes.deploy_routes(plan), served, take_over=options.take_over_routes)
    for host, found in taken.items():
        proxies[host].handover = routes.Handover(found)
        report(host, routes.taking_over(found))
    return states


def _prepare_assets(plan: DeployPlan, host: str) -> list[Command]:
    """Extract the version's assets of each role on the host and fill the asset volumes (the
    steps of each, to join the trip's own && chain)."""
    prepares = [
        asset_commands.prepare(plan.engine, boot.assets, boot.container.image, plan.version)
        for boot in plan.boots_on(host)
        if boot.assets is not None
    ]
    return [step for prepare in prepares for step in prepare.parts]


def _retire_assets(plan: DeployPlan, host: str) -> list[Command]:
    """Once the replaced versions are stopped: their asset volumes go (see commands/assets)."""
    retires = [
        asset_commands.retire(boot.assets, plan.version)
        for boot in plan.boots_on(host)
        if boot.assets is not None
    ]
    return [step for retire in retires for step in retire.parts]


async def _finish(
    transport: Transport,
    plan: DeployPlan,
    host: str,
    options: DeployOptions,
    lock: DeployLock | None,
    stops: list[Command],
) -> str | None:
    """Stop the replaced versions (and retire their asset volumes), tag the image as latest,
    write the audit line and prune, in one round trip; on the lock's host, the lock is released
    last in the same trip. A prune that fails does not stop the rest: it comes back as a
    warning (None when all went well)."""
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    line = plan.audit_line(f"Booted app version {plan.version}", at=at)
    retire = _retire_assets(plan, host)
    steps: list[Command] = [
        *stops,
        *retire,
        *_tag_latest(plan, host),
        app_commands.audit(plan.audit_log, line),
        *plan.cron_steps(host),
    ]
    if options.prune:
        steps.append(_prune(plan))
    releasing = lock if lock is not None and lock.host == host else None
    if releasing is not None:
        steps.append(releasing.release_command())
    try:
        result = await transport.run(host, all_of(*steps))
    except Exception as error:
        after = f"{plan.version} serves; {UNFINISHED}"
        what = FINISH_STEPS.format(RETIRE_STEP if retire else "")
        raise StepFailed(host, f"finishing the deploy ({what})", error, after) from error
    if releasing is not None:
        releasing.released = True
    pruned = parse_pruned(result.stdout)
    if pruned.failure is not None:
        return (
            f"{host}: pruning old containers and images failed ({pruned.failure}); "
            f"{plan.version} serves: run `dockyard prune all` once that is fixed"
        )
    return None


def _tag_latest(plan: DeployPlan, host: str) -> list[Command]:
    """The app image, and each role's own image on this host (x-dockyard/images), tagged as
    latest[-destination]."""
    latest = plan.latest_image.rpartition(":")[2]
    own = [boot.container.image for boot in plan.boots_on(host)]
    images = [image for image in dict.fromkeys(own) if image != plan.image]
    return [
        app_commands.tag(plan.engine, plan.image, plan.latest_image),
        *(app_commands.tag(plan.engine, i, f"{i.rpartition(':')[0]}:{latest}") for i in images),
    ]


def _prune(plan: DeployPlan) -> Command:
    """Kamal's `prune all` after a deploy: stopped containers beyond retain_containers, then
    the images no container uses."""
    engine, service = plan.engine, plan.service
    return prune_commands.reported(
        prune_commands.containers(engine, service, plan.destination, plan.retain_containers),
        prune_commands.images(engine, service),
    )


async def _stop_replaced(transport: Transport, stops: dict[str, list[Command]]) -> None:
    """After a failed deploy: stop the old versions on the hosts that did switch (best effort;
    a host that cannot be reached keeps them, outside the live slot, for the next deploy)."""

    async def stop(host: str) -> None:
        await transport.run(host, all_of(*stops[host]), check=False)

    await asyncio.gather(*(stop(host) for host in stops), return_exceptions=True)
