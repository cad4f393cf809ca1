"""`dockyard registry login|logout`: on the builder (or this machine) and on the servers."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.app import selected_hosts
from dockyard.cli.build import builder_host, registry_login
from dockyard.cli.context import AppContext
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.delivery import registry as registry_workflow


@click.group("registry")
def command() -> None:
    """Log in to and out of the image registry."""


@command.command("login")
@global_options
@click.option("-L", "--skip-local", is_flag=True, help="Not on the builder.")
@click.option("-R", "--skip-remote", is_flag=True, help="Not on the servers.")
def login_command(skip_local: bool, skip_remote: bool, **kwargs: Any) -> None:
    """Log in on the builder and on every server (password on stdin)."""
    ctx = AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")
    login = registry_login(ctx)
    if login is None:
        raise registry_workflow.no_login(ctx.config.registry.server)
    hosts = selected_hosts(ctx)

    async def work(transport: AsyncsshTransport) -> None:
        if not skip_local:
            async with builder_host(ctx, transport) as builder:
                await registry_workflow.login_builder(builder, login)
                ctx.printer.host(builder.name, f"logged in to {login[0]}")
        if not skip_remote:
            await registry_workflow.login_servers(transport, hosts, ctx.config.runtime, login)
            ctx.printer.step(f"Logged in to {login[0]} on {len(hosts)} server(s)")

    ctx.run(work)


@command.command("logout")
@global_options
@click.option("-L", "--skip-local", is_flag=True, help="Not on the builder.")
@click.option("-R", "--skip-remote", is_flag=True, help="Not on the servers.")
def logout_command(skip_local: bool, skip_remote: bool, **kwargs: Any) -> None:
    """Log out on the builder and on every server."""
    ctx = AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")
    server = ctx.config.registry.server
    if not server:
        raise registry_workflow.no_login(server)
    hosts = selected_hosts(ctx)

    async def work(transport: AsyncsshTransport) -> None:
        if not skip_local:
            async with builder_host(ctx, transport) as builder:
                await registry_workflow.logout_builder(builder, server)
        if not skip_remote:
            await registry_workflow.logout_servers(transport, hosts, ctx.config.runtime, server)
        ctx.printer.step(f"Logged out of {server}")

    ctx.run(work)
