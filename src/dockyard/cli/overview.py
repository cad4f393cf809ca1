"""`details`, `audit` and `remove`: the whole app on its servers."""

from __future__ import annotations

import sys
from typing import Any

import click

from dockyard.cli.app import for_hosts, load, selected_hosts, show
from dockyard.cli.context import AppContext
from dockyard.cli.options import global_options
from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, Raw, cmd
from dockyard.errors import UsageError
from dockyard.plan.accessory import route_name
from dockyard.plan.from_config import proxy_settings
from dockyard.workflows.app.remove import remove_app_on_host
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server


@click.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details_command(as_json: bool, **kwargs: Any) -> None:
    """Show the proxy and app containers on each host."""
    ctx = load(kwargs)
    engine = ctx.config.runtime
    shown = "--format '{{.Names}} {{.Image}} {{.Status}}'"
    listing = Raw(
        f"{engine.name} ps --all --filter name=^{proxy_commands.CONTAINER}$ {shown}; "
        f"{engine.name} ps --all --filter label=service={ctx.config.service} {shown}"
    )

    async def step(server: Server) -> list[str]:
        return (await server.run(listing)).stdout.splitlines()

    show(for_hosts(ctx, step), as_json)


@click.command("audit")
@global_options
@click.option("--json", "as_json", is_flag=True)
def audit_command(as_json: bool, **kwargs: Any) -> None:
    """Show the last 50 lines of each host's audit log."""
    ctx = load(kwargs)
    log = HomePath(app_commands.audit_log(ctx.config.service, ctx.config.destination))

    async def step(server: Server) -> list[str]:
        result = await server.run(cmd("tail", "-n", "50", log), check=False)
        return result.stdout.splitlines()

    show(for_hosts(ctx, step), as_json)


@click.command("remove")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def remove_command(confirmed: bool, **kwargs: Any) -> None:
    """Remove the app's containers, images, env files and routes from its servers, and its
    accessories with their data directories (their backups stay).

    The proxy goes too, unless other apps are still routed through it.
    """
    ctx = load(kwargs)
    remove_app(ctx, confirmed, keep_proxy=False)
    if ctx.config.accessories:  # the question above covered them (Kamal's remove does too)
        from dockyard.cli.accessory import on_accessories
        from dockyard.workflows.accessories import lifecycle as accessory

        show(on_accessories(ctx, "all", accessory.remove_on_host), False)


def remove_app(ctx: AppContext, confirmed: bool, *, keep_proxy: bool) -> None:
    """`remove` and `app remove`: the app's containers, images, env files and routes, after a
    confirmation; the proxy too (`remove`) unless another app uses it."""
    config = ctx.config
    extra = (
        ""
        if keep_proxy or not config.accessories
        else (
            f", and its accessories ({', '.join(a.name for a in config.accessories)}) with their "
            "data directories (backups are kept)"
        )
    )
    question = (
        f"This removes every container, image and env file of {config.service} from "
        f"{', '.join(selected_hosts(ctx))}{extra}. Are you sure?"
    )
    if not confirmed:
        if not sys.stdin.isatty():
            raise UsageError("remove asks for confirmation; add -y to remove without asking")
        click.confirm(question, abort=True)
    routes = [config.proxy_service_name(r.name) for r in config.proxy_roles]
    if not keep_proxy:  # `remove` takes the accessories too: the proxy goes if only they used it
        routes += [route_name(a) for a in config.accessories if a.proxy is not None]

    async def step(server: Server) -> str:
        proxy = None
        if server.host in config.proxy_hosts:
            proxy = ProxyController(server, proxy_settings(config))
        return await remove_app_on_host(
            server, config.service, config.destination, routes, proxy, keep_proxy=keep_proxy
        )

    done = for_hosts(ctx, step)
    show({h: f"removed {config.service}; {what}" for h, what in done.items()}, False)
