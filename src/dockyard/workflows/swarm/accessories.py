"""Accessories on the swarm: each one a service pinned to its host (plan/swarm_accessory.py),
booted by `setup` and `accessory boot`, removed by `accessory remove`. Its host keeps what it
keeps over SSH: the files and directories (mounted into the task), the 0600 env file and the
backup container, which joins the app's overlay network and reaches the accessory by its name
there, so scheduled and `accessory backup` backups run as they do over SSH.

    outcome = await boot_accessory(manager, host, ctx)     # BootOutcome: booted, or why not
    said = await remove_accessory(manager, host, ctx)      # "shop-db removed with ~/shop-db"
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace

from dockyard.commands import accessory as accessory_commands
from dockyard.commands import swarm as commands
from dockyard.commands.app import make_dirs
from dockyard.commands.base import all_of, write_stdin
from dockyard.commands.envfile import env_file
from dockyard.commands.logs import LogQuery, service_logs
from dockyard.errors import AccessoryError, DockyardError, reason
from dockyard.plan.swarm_accessory import AccessoryNode, accessory_stack, on_swarm
from dockyard.ssh.transport import UNBOUNDED, Transport
from dockyard.workflows.accessories.booting import BootOutcome
from dockyard.workflows.accessories.context import AccessoryContext, failing
from dockyard.workflows.accessories.lifecycle import login, upload_files
from dockyard.workflows.backups.backup import forget_backup_setup, install_if_configured
from dockyard.workflows.logs import read
from dockyard.workflows.server import Server
from dockyard.workflows.swarm.deploy import deploy_stack
from dockyard.workflows.swarm.form import read_state
from dockyard.workflows.swarm.manage import first_manager, image_command

POLL = 1.0  # seconds between two looks for the removed stack's containers
GONE_SECONDS = 60.0  # how long they may take to stop (the task's stop grace period, and more)


async def boot_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> BootOutcome:
    """boot_on_swarm, its failure kept as an outcome (as booting.boot_reported)."""
    name = ctx.accessory.name
    try:
        return BootOutcome(name, host.host, await boot_on_swarm(manager, host, ctx))
    except DockyardError as error:
        return BootOutcome(name, host.host, reason(error, host.host), error)


async def boot_on_swarm(
    manager: Server,
    host: Server,
    ctx: AccessoryContext,
    *,
    unchanged: str = "; its service was not changed",
) -> str:
    """Its files, env file and image on its host, then its stack applied on the manager (a
    stack already applied is left as it is), then its backup container on its host.
    `unchanged`: what a failure before the stack is applied left (a reboot removed it)."""
    name = ctx.accessory.name
    async with failing(host, name, "booting", unchanged):
        node = await node_of(host)
        await login(host, ctx)
        await host.run(accessory_commands.pull(ctx.engine, ctx.accessory.image), timeout=UNBOUNDED)
        await upload_files(host, ctx)
        await write_env_file(host, ctx)
        image = await image_command(host, ctx.accessory.image, pull=False)
    stack = accessory_stack(ctx.config, ctx.accessory, ctx.secrets, image, node)
    async with failing(manager, name, "booting", f"; see `docker stack ps {stack.name}` there"):
        ended = await deploy_stack(manager, stack, seconds=ctx.config.deploy_timeout + 60.0)
    unscheduled = (f"; {ctx.name} is running, without its backup container: `dockyard accessory "
                   f"boot {name}` again sets it up")  # fmt: skip
    async with failing(host, name, "setting up the backups of", unscheduled):
        await install_if_configured(host, ctx)
    service, how = next(iter(ended.items()))
    return f"{ctx.name} booted ({service}: {how})"


async def node_of(host: Server) -> AccessoryNode:
    """The host's node ID and home; AccessoryError when it is not in the swarm."""
    state = await read_state(host)
    if not state.active:
        raise AccessoryError(
            f"{host.host}: not in the swarm ({state.state}); run `dockyard swarm setup` first"
        )
    home = (await host.run(commands.own_home())).stdout.strip()
    return AccessoryNode(state.node_id, home)


async def write_env_file(host: Server, ctx: AccessoryContext) -> None:
    """The 0600 env file the backup container reads (the task reads the Swarm secret)."""
    content = env_file(ctx.secret_env())
    path = ctx.env_file_path
    write = write_stdin(path) if content else accessory_commands.empty_env_file(path)
    await host.run(all_of(make_dirs(path.rsplit("/", 1)[0]), write), input=content or None)


async def remove_accessory(manager: Server, host: Server, ctx: AccessoryContext) -> str:
    """Its stack (service and secret) on the manager; once its task is gone from its host, its
    backup container, image and ~/<service> (its data) there, as `accessory remove` over SSH.
    The backups stay."""
    name, stack = ctx.accessory.name, ctx.accessory.service_name
    data = f"~/{accessory_commands.data_dir(ctx.accessory)}"
    again = f"`dockyard accessory remove {name}` again finishes it"
    async with failing(manager, name, "removing", f"; its data in {data} is kept: {again}"):
        await manager.run(commands.stack_remove(stack))
        await manager.run(commands.remove_stack_dir(f".dockyard/swarm/{stack}"))
    async with failing(host, name, "removing", f"; its data in {data} is kept: {again}"):
        await wait_gone(host, stack, GONE_SECONDS)
        await forget_backup_setup(host, ctx)
        await host.run(accessory_commands.remove_image(ctx.engine, ctx.accessory.image))
    async with failing(host, name, "removing", f"; {data} may be partly deleted: {again}"):
        await host.run(accessory_commands.remove_data(ctx.accessory, ctx.env_file_path))
    return f"{ctx.name} removed with {data}"


async def wait_gone(host: Server, stack: str, seconds: float) -> None:
    """Until the stack's containers left the host (Swarm removes them a moment after `stack
    rm`): its data is only deleted once nothing uses it."""
    deadline = time.monotonic() + seconds
    while (await host.run(commands.stack_containers(stack))).stdout.strip():
        if time.monotonic() > deadline:
            raise AccessoryError(
                f"{host.host}: the containers of {stack} were still there {seconds:g}s after "
                f"`docker stack rm {stack}`; see `docker ps -a` there"
            )
        await asyncio.sleep(POLL)


# --- as the CLI runs them ------------------------------------------------------------------------


def swarm_contexts(contexts: Sequence[AccessoryContext]) -> list[AccessoryContext]:
    """The contexts with each accessory as it runs on the swarm (ConfigError, before anything
    changes, for one a pinned service cannot be)."""
    return [replace(c, accessory=on_swarm(c.config, c.accessory)) for c in contexts]


async def boot_all(transport: Transport, contexts: Sequence[AccessoryContext]) -> list[BootOutcome]:
    """Each accessory on its host, one after the other: an outcome each (none raises)."""
    if not contexts:
        return []
    manager = await first_manager(transport, contexts[0].config)
    outcomes: list[BootOutcome] = []
    for ctx in swarm_contexts(contexts):
        host = Server(transport, ctx.accessory.hosts[0], ctx.engine)
        outcomes.append(await boot_accessory(manager, host, ctx))
    return outcomes


async def remove_all(transport: Transport, contexts: Sequence[AccessoryContext]) -> dict[str, str]:
    """{host: what was removed}, one accessory after the other (`host (name)` with several)."""
    removed: dict[str, str] = {}
    if not contexts:
        return removed
    manager = await first_manager(transport, contexts[0].config)
    for ctx in swarm_contexts(contexts):
        host = Server(transport, ctx.accessory.hosts[0], ctx.engine)
        label = f" ({ctx.accessory.name})" if len(contexts) > 1 else ""
        removed[f"{host.host}{label}"] = await remove_accessory(manager, host, ctx)
    return removed


async def logs_all(
    transport: Transport, contexts: Sequence[AccessoryContext], query: LogQuery
) -> dict[str, list[str] | None]:
    """{accessory host: its task's lines}, read on the first manager (`docker service logs`);
    None for an accessory with no service."""
    found: dict[str, list[str] | None] = {}
    if not contexts:
        return found
    manager = await first_manager(transport, contexts[0].config)
    for ctx in swarm_contexts(contexts):
        service = f"{ctx.accessory.service_name}_{ctx.accessory.name}"
        found[ctx.accessory.hosts[0]] = await read(manager, service_logs(service, query))
    return found
