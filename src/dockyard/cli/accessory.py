"""`dockyard accessory …`: databases and caches beside the app, and their backups."""

from __future__ import annotations

import os
import shlex
from collections.abc import Awaitable, Callable
from typing import Any

import click

from dockyard.cli.app import load, show, ssh_argv
from dockyard.cli.context import AppContext
from dockyard.cli.options import global_options
from dockyard.commands import accessory as commands
from dockyard.config.settings import Accessory
from dockyard.errors import UsageError
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.accessories import lifecycle as flows
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server

Step = Callable[[Server, AccessoryContext], Awaitable[Any]]


def context_for(ctx: AppContext, accessory: Accessory) -> AccessoryContext:
    secrets = ctx.secret_values(flows.secret_names(ctx.config, [accessory.name]))
    return AccessoryContext(ctx.config, accessory, secrets, ctx.root)


def hosts_of(ctx: AppContext, accessory: Accessory) -> list[str]:
    """The accessory's hosts that -h selects (all of them without -h)."""
    return [h for h in accessory.hosts if ctx.selection.host_ok(h)]


def on_accessories(ctx: AppContext, name: str, step: Step) -> dict[str, Any]:
    """step on every host of each selected accessory; results keyed `host (accessory)`."""
    chosen = flows.selected(ctx.config, name)

    async def work(transport: AsyncsshTransport) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for accessory in chosen:
            actx = context_for(ctx, accessory)

            async def one(server: Server, actx: AccessoryContext = actx) -> Any:
                return await step(server, actx)

            servers = [Server(transport, h, ctx.config.runtime) for h in hosts_of(ctx, accessory)]
            found = await on_servers(servers, one)
            label = f" ({accessory.name})" if len(chosen) > 1 else ""
            results.update({f"{host}{label}": value for host, value in found.items()})
        return results

    return ctx.run(work)


@click.group("accessory")
def command() -> None:
    """Manage accessories (databases, caches) and their backups."""


def _simple(verb: str, help_text: str, step: Step, *, allow_all: bool = False) -> None:
    @command.command(verb, help=help_text)
    @click.argument("name")
    @global_options
    def run(name: str, **kwargs: Any) -> None:
        if name == "all" and not allow_all:
            raise UsageError(f"`accessory {verb}` takes one accessory's name, not all")
        ctx = load(kwargs)
        show(on_accessories(ctx, name, step), False)


_simple("boot", "Boot an accessory (or all) where it has no container yet.",
        flows.boot_on_host, allow_all=True)  # fmt: skip
_simple("reboot", "Stop, remove, pull and boot an accessory (or all) again; data stays.",
        flows.reboot_on_host, allow_all=True)  # fmt: skip
_simple("upgrade", "Reboot an accessory (or all) into its network (Kamal 1 -> 2).",
        flows.reboot_on_host, allow_all=True)  # fmt: skip
for _verb in ("start", "stop", "restart"):

    async def _verb_step(server: Server, actx: AccessoryContext, verb: str = _verb) -> str:
        return await flows.verb_on_host(server, actx, verb)

    _simple(_verb, f"{_verb.capitalize()} an accessory's existing container.", _verb_step,
            allow_all=True)  # fmt: skip


@command.command("details")
@click.argument("name")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(name: str, as_json: bool, **kwargs: Any) -> None:
    """Show an accessory's containers (or all), and how fresh its backups are."""
    ctx = load(kwargs)
    from dockyard.workflows.backups.backup import backup_freshness

    async def step(server: Server, actx: AccessoryContext) -> Any:
        lines = await flows.details_on_host(server, actx)
        return lines + await backup_freshness(server, actx)

    show(on_accessories(ctx, name, step), as_json)


@command.command("logs")
@click.argument("name")
@global_options
@click.option("-n", "--lines", type=int, default=100, show_default=True)
@click.option("-s", "--since", default=None, help="Only logs since (e.g. 10m).")
@click.option("-g", "--grep", "pattern", default=None, help="Only lines matching this.")
@click.option("-T", "--timestamps", is_flag=True)
@click.option("-f", "--follow", is_flag=True, help="Follow on the first host.")
def logs(name: str, lines: int, since: str | None, pattern: str | None, timestamps: bool,
         follow: bool, **kwargs: Any) -> None:  # fmt: skip
    """Show an accessory's logs."""
    ctx = load(kwargs)
    engine = ctx.config.runtime
    accessory = flows.find(ctx.config, name)
    listing = commands.logs(engine, accessory.service_name, lines, since, timestamps)
    remote = listing.render() + " 2>&1"
    if pattern:
        remote += f" | grep --line-buffered -e {shlex.quote(pattern)}"
    if follow:
        os.execvp("ssh", ssh_argv(ctx, hosts_of(ctx, accessory)[0], remote.replace(
            f"{engine.name} logs", f"{engine.name} logs --follow", 1)))  # fmt: skip

    async def step(server: Server, actx: AccessoryContext) -> Any:
        from dockyard.commands.base import Raw

        return (await server.run(Raw(remote), check=False)).stdout.splitlines()

    show(on_accessories(ctx, name, step), False)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A terminal on the first host.")
@click.option("--reuse", is_flag=True, help="Run in the running container, not a new one.")
def exec_(name: str, cmd: tuple[str, ...], interactive: bool, reuse: bool, **kwargs: Any) -> None:
    """Run a command in a new container of the accessory (or, with --reuse, the running one)."""
    ctx = load(kwargs)
    accessory = flows.find(ctx.config, name)
    command_line = shlex.split(cmd[0]) if len(cmd) == 1 else list(cmd)

    def build(actx: AccessoryContext, host: str) -> Any:
        if reuse:
            return commands.exec_in_running(actx.engine, actx.name, command_line)
        return commands.exec_in_new(actx.engine, actx.run_spec(host), command_line)

    if interactive:
        host = hosts_of(ctx, accessory)[0]
        remote = (
            build(context_for(ctx, accessory), host)
            .render()
            .replace(f"{ctx.config.runtime.name} exec", f"{ctx.config.runtime.name} exec -it", 1)
            .replace(f"{ctx.config.runtime.name} run", f"{ctx.config.runtime.name} run -it", 1)
        )
        os.execvp("ssh", ssh_argv(ctx, host, remote, tty=True))

    async def step(server: Server, actx: AccessoryContext) -> Any:
        result = await server.run(build(actx, server.host))
        return result.stdout.rstrip("\n").splitlines()

    show(on_accessories(ctx, name, step), False)


@command.command("remove")
@click.argument("name")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask.")
def remove(name: str, confirmed: bool, **kwargs: Any) -> None:
    """Remove an accessory's container, image and data directory (or all accessories')."""
    ctx = load(kwargs)
    chosen = flows.selected(ctx.config, name)
    if not confirmed:
        where = "; ".join(
            f"{a.name}: ~/{commands.data_dir(a)} on {', '.join(hosts_of(ctx, a))}" for a in chosen
        )
        click.confirm(
            f"This removes the container, the image and the data directory ({where}), with "
            "every file in it (a database's data!). Backups are kept. Go on?",
            abort=True,
        )
    show(on_accessories(ctx, name, flows.remove_on_host), False)


from dockyard.cli import accessory_backup  # noqa: E402  (registers backup, backups, restore...)

accessory_backup.register(command)
