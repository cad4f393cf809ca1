"""`deploy`, `rollback [VERSION]` and `app scale` with x-dockyard/backend: swarm.

A deploy to the swarm runs as an SSH deploy does, under the deploy lock on the primary host
and between the pre-deploy and post-deploy hooks: the image is built (unless -P) and delivered
to every node (a registry, or registry-free over SSH), then the stack is applied on the first
manager and each service's update watched to its end (workflows/swarm/deploy.py), then the
jobs' release pointers switched and their scheduler updated (workflows/swarm/cron.py). A deploy
that Swarm rolled back fails with the cause, and the lock is released. The versions deployed
are recorded on the manager, so that `rollback` goes back to any of them, not only to the one
level of history Swarm keeps.

    rolled = await release_on(transport, run, deliver)    # Rolled(version, manager, services)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard.commands import swarm as commands
from dockyard.config.objects import Config
from dockyard.errors import DockyardError, UsageError, cited
from dockyard.facts.swarm import parse_versions
from dockyard.plan.edge_tls import certificate_secret_names
from dockyard.plan.swarm import (
    SwarmStack,
    edge_sites,
    rollback_target,
    secret_names,
    swarm_stack,
    versions_after,
)
from dockyard.redaction import Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.transport import Transport
from dockyard.workflows.delivery.ship import ship
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.hooks import HookContext, run_hook
from dockyard.workflows.lock import DeployLock, holding_lock, new_details, run_locked
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session, performer
from dockyard.workflows.swarm import manage
from dockyard.workflows.swarm.cron import release_jobs
from dockyard.workflows.swarm.deploy import UNCHANGED, deploy_stack, scale_service
from dockyard.workflows.swarm.ingress import boot_edges
from dockyard.workflows.swarm.manage import (
    first_manager,
    image_command,
    swarm_config,
    update_seconds,
)

Deliver = Callable[[Sequence[str]], Awaitable[None]]  # the image onto these nodes
Say = Callable[[str], None]
PRUNE_LATER = "the env secrets of earlier deploys were not removed; the next deploy removes them"
RECORD_AGAIN = (
    "the services run the new version, but `rollback` does not know it yet: deploy it again"
)


@dataclass(frozen=True)
class SwarmRun:
    """One deploy or rollback to the swarm: the config of its version and how to run it."""

    config: Config
    secrets: Mapping[str, Secret]
    command: str  # deploy, redeploy, setup, rollback: the hooks' KAMAL_COMMAND
    hooks_path: Path
    performer: str
    skip_hooks: bool = False
    lock_wait: float = 0
    lock_interval: float = 15


@dataclass(frozen=True)
class Rolled:
    version: str
    manager: str  # the first manager, where the stack was applied
    services: Mapping[str, str]  # service -> updated | running
    warnings: tuple[str, ...] = ()  # one line each: what failed once it served


def _quiet(message: str) -> None:
    pass


async def release_on(
    transport: Transport, run: SwarmRun, deliver: Deliver, say: Say = _quiet
) -> Rolled:
    """The version of run.config on the swarm, under the deploy lock, between the hooks."""
    config, image = run.config, run.config.absolute_image
    edge_sites(config)  # a route the edges cannot serve is refused here
    primary = Server(transport, swarm_primary(config), config.runtime)
    lock = DeployLock(primary, config.service, config.destination)
    hooks = HookContext(
        service=config.service, version=config.version, performer=run.performer,
        command=run.command, destination=config.destination, hosts=config.all_hosts, lock=True,
    )  # fmt: skip
    start = time.monotonic()
    details = new_details(config.version, user=run.performer)
    async with holding_lock(
        lock, details, wait=run.lock_wait, interval=run.lock_interval, warn=say
    ):
        await run_hook(run.hooks_path, "pre-deploy", hooks, skip=run.skip_hooks)
        await deliver(config.all_hosts)
        manager = await first_manager(transport, config)
        say(f"Updating the services of {config.stack_name} to {config.version} on {manager.host}")
        stack = swarm_stack(config, run.secrets, await image_command(manager, image, pull=False))
        services = await deploy_stack(manager, stack, seconds=update_seconds(config, stack))
        booted = await boot_edges(
            transport, config, run.secrets, lambda edge, line: say(f"{edge}: {line}")
        )
        for edge, changed in booted.items():
            say(f"{edge}: edge {'started or updated' if changed else 'up to date'}")
        await record_version(manager, config)
        rollback = run.command == "rollback"
        jobs = await release_jobs(transport, config, run.secrets, rollback=rollback)
        warnings = (*jobs, *await prune_secrets(manager, stack))
    runtime = {"KAMAL_RUNTIME": str(round(time.monotonic() - start))}
    done = replace(hooks, lock=False, extra=runtime)
    await run_hook(run.hooks_path, "post-deploy", done, skip=run.skip_hooks)
    return Rolled(config.version, manager.host, services, warnings)


def swarm_primary(config: Config) -> str:
    """Where the deploy lock is: the primary host, as for SSH deploys."""
    return config.primary_host or config.all_hosts[0]


async def prune_secrets(manager: Server, stack: SwarmStack) -> tuple[str, ...]:
    """Once the services run the new env: the env secrets of earlier deploys go (a secret
    cannot change, so each deploy with another env made one). A failure is a warning: the
    deploy is done, and the next one removes them."""
    wanted = {service.env_secret for service in stack.spec.services}
    try:
        found = await manager.run(commands.stack_secrets(stack.name))
        old = [name for name in found.stdout.split() if name not in wanted]
        if old:
            await manager.run(commands.secret_remove(old))
    except DockyardError as error:
        return (f"{manager.host}: {PRUNE_LATER} ({cited(error, manager.host)})",)
    return ()


def versions_file(config: Config) -> str:
    return f".dockyard/swarm/{config.stack_name}"


async def deployed_versions(manager: Server, config: Config) -> tuple[str, ...]:
    """The versions deployed to the swarm, oldest first."""
    with manager.step("reading the versions deployed", UNCHANGED):
        found = await manager.run(commands.deployed_versions(versions_file(config)))
    return parse_versions(found.stdout)


async def record_version(manager: Server, config: Config) -> None:
    history = versions_after(await deployed_versions(manager, config), config.version)
    with manager.step("recording the version deployed", RECORD_AGAIN):
        text = "".join(f"{version}\n" for version in history)
        await manager.upload(text.encode(), f"{versions_file(config)}/versions")


async def kept_everywhere(nodes: Sequence[Server], image: str, *, pull: bool) -> None:
    """A rollback's delivery: every node has the image still (or pulls it again from the
    registry), before any update starts."""
    how = "pulling it again" if pull else "kept from its deploy"

    async def here(server: Server) -> None:
        with server.step(f"finding {image} ({how})", UNCHANGED):
            await server.run(commands.image_here(image, pull=pull))

    await on_servers(nodes, here)


# --- as the CLI runs them ------------------------------------------------------------------------


def swarm_run(session: Session, command: str) -> SwarmRun:
    config, request = swarm_config(session), session.request
    return SwarmRun(
        config=config, command=command,
        secrets=session.secret_values([*secret_names(config), *certificate_secret_names(config)]),
        hooks_path=session.root / config.hooks_path, performer=performer(),
        skip_hooks=request.skip_hooks, lock_wait=request.lock_wait,
        lock_interval=request.lock_interval,
    )  # fmt: skip


def deploy(session: Session, command: str, *, build: bool, no_cache: bool) -> Rolled:
    """Build (unless -P or a prebuilt image) and deliver the image to every node, then roll
    the services out to it (`deploy`, `redeploy`, and the app part of `setup`)."""
    run = swarm_run(session, command)
    build = build and not run.config.prebuilt_image

    async def work(transport: AsyncsshTransport) -> Rolled:
        async def deliver(hosts: Sequence[str]) -> None:
            await ship(session, transport, hosts, build=build, no_cache=no_cache)

        return await release_on(transport, run, deliver, session.progress.step)

    return session.run(work)


def form(session: Session) -> None:
    """`dockyard setup`'s first part: every server a node of the app's swarm (formed, or
    joined); workflows/deploy/release.py then boots the accessories and deploys the app."""
    formed = manage.setup(session)
    for host, said in formed.by_host.items():
        session.progress.host(host, said)


def rollback(session: Session, version: str | None) -> Rolled:
    """Back to `version` (else --version, else the version deployed before the current one),
    any of the versions deployed to the swarm that it still records."""
    config = swarm_config(session)

    async def history(transport: AsyncsshTransport) -> tuple[str, ...]:
        return await deployed_versions(await first_manager(transport, config), config)

    wanted = rollback_target(session.run(history), version or session.request.version)
    session.progress.step(f"Rolling back to {wanted}")
    again = session.with_version(wanted)
    run = swarm_run(again, "rollback")
    registry = not (config.dockyard.delivery == "ssh" or config.registry.local)

    async def work(transport: AsyncsshTransport) -> Rolled:
        async def deliver(hosts: Sequence[str]) -> None:
            nodes = [Server(transport, host, config.runtime) for host in hosts]
            await kept_everywhere(nodes, run.config.absolute_image, pull=registry)

        return await release_on(transport, run, deliver, session.progress.step)

    return again.run(work)


def scale(session: Session, role: str, replicas: int) -> dict[str, str]:
    """`app scale ROLE=N`: N tasks of the role, under the deploy lock, waited for until they
    all run."""
    config = swarm_config(session)
    if role not in (known := [r.name for r in config.roles]):
        raise UsageError(f"no role named {role} (roles: {', '.join(known)})")
    seconds = config.deploy_timeout + 60.0

    async def work(transport: AsyncsshTransport) -> dict[str, str]:
        manager = await first_manager(transport, config)
        return await scale_service(manager, config.stack_name, role, replicas, seconds=seconds)

    return run_locked(session, work)
