"""`dockyard server bootstrap|exec`: the servers themselves, app and accessory hosts alike."""

from __future__ import annotations

import os
from typing import Any

import click

from dockyard.cli.app import for_hosts, load, show, show_outputs, ssh_argv
from dockyard.cli.context import AppContext
from dockyard.cli.options import global_options
from dockyard.commands.base import Raw
from dockyard.errors import Result, UsageError
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.server import Server
from dockyard.workflows.servers.bootstrap import bootstrap_hosts


def server_hosts(ctx: AppContext) -> list[str]:
    """Every host of the config (accessories too); -r narrows to roles, -h to hosts."""
    config, selection = ctx.config, ctx.selection
    roles = [r.name for r in config.roles if selection.role_ok(r.name)]
    hosts = config.hosts_for_roles(roles) if ctx.options.roles else config.all_hosts
    chosen = [h for h in hosts if selection.host_ok(h)]
    if not chosen:
        raise UsageError("no host matches the given --hosts/--roles; nothing to do")
    return chosen


@click.group("server")
def command() -> None:
    """Bootstrap servers and run commands on them."""


@command.command("bootstrap")
@global_options
def bootstrap(**kwargs: Any) -> None:
    """Install the container engine (Docker, or Podman with runtime: podman) where it is
    missing; Debian and Ubuntu servers, as root. Safe to run again."""
    ctx = load(kwargs)
    hosts = server_hosts(ctx)
    ctx.run(lambda transport: bootstrap_engine(ctx, transport, hosts))
    show(dict.fromkeys(hosts, f"{ctx.config.runtime.name} is installed"), False)


async def bootstrap_engine(ctx: AppContext, transport: AsyncsshTransport, hosts: list[str]) -> None:
    """Install the engine where it is missing, then Kamal's docker-setup hook if anything was
    installed (`server bootstrap` and `setup`)."""
    installed: list[str] = []

    def report(host: str, message: str) -> None:
        installed.append(host)
        ctx.printer.host(host, message)

    await bootstrap_hosts([Server(transport, h, ctx.config.runtime) for h in hosts], report)
    if installed:
        await ctx.hook("docker-setup", installed)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A real TTY, on the first host.")
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(interactive: bool, words: tuple[str, ...], **kwargs: Any) -> None:
    """Run a shell command on the servers (all at once) and show what each printed."""
    ctx = load(kwargs)
    hosts = server_hosts(ctx)
    remote = " ".join(words)
    if interactive:
        os.execvp("ssh", ssh_argv(ctx, hosts[0], remote, tty=True))

    async def step(server: Server) -> Result:
        return await server.run(Raw(remote), check=False)

    show_outputs(for_hosts(ctx, step, hosts))
