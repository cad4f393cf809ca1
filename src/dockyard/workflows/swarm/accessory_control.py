"""`accessory stop|start|restart|reboot` and `exec --reuse` with x-dockyard/backend: swarm, where
an accessory is one service pinned to its host (accessories.py), with the meaning Kamal gives
them for its container:

    said = await stop_accessory(manager, host, ctx)     # scaled to 0 (its data stays), its
                                                        # container gone from the host
    said = await start_accessory(manager, host, ctx)    # scaled to 1, waited for until it runs
    said = await restart_accessory(manager, host, ctx)  # a new task (stop-first), waited for
    said = await reboot_accessory(manager, host, ctx)   # removed, created again from the
                                                        # config as `accessory boot` does; data kept
    container = await task_container_on(host, ctx)      # its running task's container there

The CLI runs them under the deploy lock (workflows/accessories/manage.py).
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Awaitable, Callable, Sequence

from dockyard.commands import swarm as commands
from dockyard.errors import AccessoryError, NotFoundError
from dockyard.facts.swarm import replaced, task_containers
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories.context import AccessoryContext, failing
from dockyard.workflows.server import Server
from dockyard.workflows.swarm import accessories
from dockyard.workflows.swarm.deploy import scale_service
from dockyard.workflows.swarm.manage import first_manager

POLL = 1.0  # seconds between two looks at its task
STOP_SECONDS = 60.0  # how long its container may take to stop (its grace period, and more)

Action = Callable[[Server, Server, AccessoryContext], Awaitable[str]]


def service_of(ctx: AccessoryContext) -> str:
    return f"{ctx.accessory.service_name}_{ctx.accessory.name}"


def _seconds(ctx: AccessoryContext) -> float:
    return ctx.config.deploy_timeout + 60.0


def _see(service: str) -> str:
    return f"; see `docker service ps {service}` there"


async def stop_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> str:
    """Its service scaled to 0, then waited for until its container left running on its host;
    its data stays there."""
    name, service = ctx.accessory.name, service_of(ctx)
    async with failing(manager, name, "stopping", _see(service)):
        await manager.run(commands.service_scale(service, 0))
    async with failing(host, name, "stopping", "; Swarm goes on stopping it"):
        await wait_stopped(host, service, STOP_SECONDS)
    return f"{ctx.name} stopped (scaled to 0; its data stays on {host.host})"


async def wait_stopped(host: Server, service: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (await host.run(commands.service_containers(service))).stdout.strip():
        if time.monotonic() > deadline:
            raise AccessoryError(
                f"{host.host}: the container of {service} still ran {seconds:g}s after it was "
                "scaled to 0; see `docker ps` there"
            )
        await asyncio.sleep(POLL)


async def start_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> str:
    """Its service scaled to 1, waited for until its task runs."""
    name, service = ctx.accessory.name, service_of(ctx)
    async with failing(manager, name, "starting", _see(service)):
        await scale_service(manager, ctx.accessory.service_name, name, 1, seconds=_seconds(ctx))
    return f"{ctx.name} started on {host.host}"


async def restart_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> str:
    """A new task (`docker service update --force`, stop-first as its updates are; a stopped
    one is started), waited for until it runs in a new container."""
    name, service = ctx.accessory.name, service_of(ctx)
    async with failing(manager, name, "restarting", _see(service)):
        before = task_containers((await manager.run(commands.running_tasks(service))).stdout)
        await manager.run(commands.service_restart(service))
        await wait_replaced(manager, service, before, _seconds(ctx))
    return f"{ctx.name} restarted on {host.host}"


async def wait_replaced(
    manager: Server, service: str, before: frozenset[str], seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while not replaced((await manager.run(commands.running_tasks(service))).stdout, before):
        if time.monotonic() > deadline:
            raise AccessoryError(
                f"{manager.host}: {service} had no new task running {seconds:g}s after its "
                f"restart; Swarm goes on with it: see `docker service ps {service}` there"
            )
        await asyncio.sleep(POLL)


async def reboot_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> str:
    """Its stack removed, and once its task left the host, booted again from the config (its
    image pulled, files, env and backup container as `accessory boot` sets them); its data on
    the host is kept."""
    name, stack = ctx.accessory.name, ctx.accessory.service_name
    again = f"`dockyard accessory boot {name}` boots it again"
    async with failing(manager, name, "rebooting", f"; its data is kept: {again}"):
        await manager.run(commands.stack_remove(stack))
    async with failing(host, name, "rebooting", f"; its data is kept: {again}"):
        await accessories.wait_gone(host, stack, accessories.GONE_SECONDS)
    removed = f"; it was removed by the reboot, its data kept: {again}"
    booted = await accessories.boot_on_swarm(manager, host, ctx, unchanged=removed)
    return booted.replace(" booted (", " rebooted (", 1)


async def task_container_on(host: Server, ctx: AccessoryContext) -> str:
    """The container of its running task on its host (NotFoundError when none runs there)."""
    name, service = ctx.accessory.name, service_of(ctx)
    async with failing(host, name, "finding the task of"):
        found = (await host.run(commands.service_containers(service))).stdout.split()
    if not found:
        raise NotFoundError(
            f"{host.host}: {service} has no running task here; `dockyard accessory start "
            f"{name}` (or `boot`) runs it"
        )
    return found[0]


# --- as the CLI runs them ------------------------------------------------------------------------

ACTIONS: dict[str, Action] = {
    "stop": stop_accessory,
    "start": start_accessory,
    "restart": restart_accessory,
    "reboot": reboot_accessory,
}


async def control_all(
    transport: Transport, contexts: Sequence[AccessoryContext], verb: str
) -> dict[str, str]:
    """{host: what was done}, one accessory after the other (`host (name)` with several); the
    first failure ends the command."""
    done: dict[str, str] = {}
    if not contexts:
        return done
    manager = await first_manager(transport, contexts[0].config)
    for ctx in contexts:
        host = Server(transport, ctx.accessory.hosts[0], ctx.engine)
        label = f" ({ctx.accessory.name})" if len(contexts) > 1 else ""
        done[f"{host.host}{label}"] = await ACTIONS[verb](manager, host, ctx)
    return done


async def exec_all(
    transport: Transport, contexts: Sequence[AccessoryContext], argv: Sequence[str]
) -> dict[str, list[str]]:
    """`accessory exec --reuse`: the command in each accessory's running task's container on
    its host, the task's env exported from its secret first; {host: its output lines}."""
    found: dict[str, list[str]] = {}
    for ctx in contexts:
        host = Server(transport, ctx.accessory.hosts[0], ctx.engine)
        container = await task_container_on(host, ctx)
        result = await host.run(commands.exec_in_task(container, shlex.join(argv), {}))
        label = f" ({ctx.accessory.name})" if len(contexts) > 1 else ""
        found[f"{host.host}{label}"] = result.stdout.rstrip("\n").splitlines()
    return found
