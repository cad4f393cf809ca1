"""`dockyard proxy boot|reboot|start|stop|restart|details|logs|remove` on the proxy hosts."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import click

from dockyard.cli.app import for_hosts, load, show
from dockyard.cli.context import AppContext
from dockyard.cli.options import global_options
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.base import HomePath, Raw, all_of, cmd
from dockyard.errors import DockyardError, UsageError
from dockyard.plan.from_config import proxy_container, proxy_settings
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

CONTAINER = proxy_commands.CONTAINER


def proxy_hosts(ctx: AppContext) -> list[str]:
    hosts = [h for h in ctx.config.proxy_hosts if ctx.selection.host_ok(h)]
    if not hosts:
        raise DockyardError("no proxy host is selected (no role of the config uses the proxy)")
    return hosts


def _controller(ctx: AppContext, server: Server) -> ProxyController:
    return ProxyController(server, proxy_settings(ctx.config))


@click.group("proxy")
def command() -> None:
    """Manage the Caddy proxy on each server."""


@command.command("boot")
@global_options
def boot(**kwargs: Any) -> None:
    """Start the proxy (or keep it running) with every app's routes on the host."""
    ctx = load(kwargs)
    container = proxy_container(ctx.config)

    async def step(server: Server) -> str:
        controller = _controller(ctx, server)
        await controller.boot(container)
        return f"{CONTAINER} running, {len(await controller.read_routes())} route(s)"

    show(for_hosts(ctx, step, proxy_hosts(ctx)), False)


@command.command("reboot")
@global_options
@click.option("--rolling", is_flag=True, help="One host at a time.")
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def reboot(rolling: bool, confirmed: bool, **kwargs: Any) -> None:
    """Replace the proxy container (new image or options): a brief gap on each host."""
    ctx = load(kwargs)
    if not confirmed:
        if not sys.stdin.isatty():
            raise UsageError("reboot stops the proxy for a moment; add -y to go ahead")
        click.confirm("Rebooting the proxy drops requests for a moment on each host. Go on?",
                      abort=True)  # fmt: skip
    container = proxy_container(ctx.config)
    engine = ctx.config.runtime

    async def step(server: Server) -> str:
        await server.run(cmd(engine.name, "rm", "--force", CONTAINER))
        await _controller(ctx, server).boot(container)
        return f"{CONTAINER} rebooted"

    hosts = proxy_hosts(ctx)

    async def group(t: AsyncsshTransport, group_hosts: list[str]) -> dict[str, str]:
        await ctx.hook("pre-proxy-reboot", group_hosts)
        servers = [Server(t, host, engine) for host in group_hosts]
        done = await on_servers(servers, step)
        await ctx.hook("post-proxy-reboot", group_hosts)
        return done

    async def all_hosts(t: AsyncsshTransport) -> dict[str, str]:
        if not rolling:
            return await group(t, hosts)
        return {host: (await group(t, [host]))[host] for host in hosts}

    show(ctx.run(all_hosts), False)


def _container_command(verb: str, help_text: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        ctx = load(kwargs)

        async def step(server: Server) -> str:
            await server.run(cmd(ctx.config.runtime.name, verb, CONTAINER))
            return f"{CONTAINER}: {verb} done"

        show(for_hosts(ctx, step, proxy_hosts(ctx)), False)

    return click.command(verb, help=help_text)(run)


command.add_command(_container_command("start", "Start the existing proxy container."))
command.add_command(_container_command("stop", "Stop the proxy container (apps go offline)."))
command.add_command(_container_command("restart", "Restart the proxy container."))


@command.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(as_json: bool, **kwargs: Any) -> None:
    """Show the proxy container and the routes it serves."""
    ctx = load(kwargs)

    async def step(server: Server) -> list[str]:
        engine = ctx.config.runtime
        ps = cmd(engine.name, "ps", "--all", "--filter", f"name=^{CONTAINER}$",
                 "--format", "{{.Names}} {{.Image}} {{.Status}}")  # fmt: skip
        lines = (await server.run(ps)).stdout.splitlines()
        state = await _controller(ctx, server).state()
        for r in state.routes:
            where = ",".join(r.hosts) or "*"
            to = ", ".join(r.upstreams) or r.slot_upstream(state.live_slot(r.name))
            mode = " (maintenance)" if r.maintenance else ""
            lines.append(f"route {r.name}: {where}{''.join(r.path_prefixes)} -> {to}{mode}")
        return lines

    show(for_hosts(ctx, step, proxy_hosts(ctx)), as_json)


@command.command("logs")
@global_options
@click.option("-n", "--lines", type=int, default=100, show_default=True)
@click.option("-s", "--since", default=None)
@click.option("-g", "--grep", "pattern", default=None)
@click.option("-T", "--timestamps", is_flag=True)
def logs(lines: int, since: str | None, pattern: str | None, timestamps: bool,
         **kwargs: Any) -> None:  # fmt: skip
    """Show the proxy's logs (Caddy's JSON access and error log)."""
    ctx = load(kwargs)
    remote = f"{ctx.config.runtime.name} logs --tail {lines} {CONTAINER} 2>&1"
    remote += f" --since {shlex.quote(since)}" if since else ""
    remote += " --timestamps" if timestamps else ""
    if pattern:
        remote += f" | grep -e {shlex.quote(pattern)}"

    async def step(server: Server) -> list[str]:
        return (await server.run(Raw(remote), check=False)).stdout.splitlines()

    show(for_hosts(ctx, step), False)


@command.command("remove")
@global_options
@click.option("--force", is_flag=True, help="Remove it even while apps are routed through it.")
def remove(force: bool, **kwargs: Any) -> None:
    """Remove the proxy container and its state; refused while apps still use it."""
    ctx = load(kwargs)

    async def step(server: Server) -> str:
        routes = await _controller(ctx, server).read_routes()
        if routes and not force:
            names = ", ".join(r.name for r in routes)
            raise DockyardError(f"{server.host}: the proxy still serves {names}; remove those apps "
                                "first, or add --force")  # fmt: skip
        await server.run(all_of(
            cmd(ctx.config.runtime.name, "rm", "--force", CONTAINER),
            cmd("rm", "-rf", HomePath(proxy_commands.STATE_DIR)),
        ))  # fmt: skip
        return f"{CONTAINER} removed"

    show(for_hosts(ctx, step, proxy_hosts(ctx)), False)
