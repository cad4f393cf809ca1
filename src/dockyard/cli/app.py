"""`dockyard app …`: the app's containers on every selected host."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from dockyard.cli.context import AppContext, token
from dockyard.cli.load import load as load_session
from dockyard.cli.load import load_printing
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.cli.questions import REMOVE_REFUSAL, removal_question
from dockyard.cli.render import ask, show_release
from dockyard.commands import app as app_commands
from dockyard.commands.app_exec import parse_env
from dockyard.commands.base import Raw, cmd
from dockyard.commands.caddy_config import Maintenance
from dockyard.errors import DockyardError, Result, UsageError
from dockyard.plan.from_config import proxy_settings
from dockyard.workflows.app import containers as app_workflows
from dockyard.workflows.app import execute as app_exec_workflow
from dockyard.workflows.app.remove import remove_app
from dockyard.workflows.deploy.release import boot_again
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

T = TypeVar("T")


def selected_hosts(ctx: AppContext) -> list[str]:
    """The app hosts that -h/-r select; with -p only the primary host (Kamal's)."""
    selection = ctx.selection
    if selection.primary and ctx.config.primary_host:
        return [ctx.config.primary_host]
    roles = [r for r in ctx.config.roles if selection.role_ok(r.name)]
    hosts = [h for r in roles for h in r.host_names]
    return [h for h in dict.fromkeys(hosts) if selection.host_ok(h)]


def for_hosts(
    ctx: AppContext,
    step: Callable[[Server], Awaitable[T]],
    hosts: Sequence[str] | None = None,
) -> dict[str, T]:
    """step on every host (default: the ones -h/-r/-p select), all at once, one transport."""
    chosen = selected_hosts(ctx) if hosts is None else list(hosts)
    engine = ctx.config.runtime
    return ctx.run(
        lambda transport: on_servers([Server(transport, h, engine) for h in chosen], step)
    )


def load(kwargs: dict[str, Any]) -> AppContext:
    return AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")


def show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    for host, value in data.items():
        lines = value if isinstance(value, list) else [value]
        for line in lines or ["(nothing)"]:
            click.echo(f"{host}: {line}")


@click.group("app")
def command() -> None:
    """Manage the app's containers."""


@command.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(as_json: bool, **kwargs: Any) -> None:
    """Show the app's containers with their state."""
    ctx = load(kwargs)

    async def step(server: Server) -> list[str]:
        found = await app_workflows.containers_on_host(server, ctx.config)
        return [f"{c.name} {c.state}" for c in found]

    show(for_hosts(ctx, step), as_json)


command.add_command(details, "containers")


@command.command("version")
@global_options
@click.option("--json", "as_json", is_flag=True)
def version(as_json: bool, **kwargs: Any) -> None:
    """Show the version running on each host, per role."""
    ctx = load(kwargs)

    async def step(server: Server) -> list[str]:
        running = await app_workflows.running_versions(server, ctx.config)
        return [f"{role}: {v}" for role, v in running.items()]

    show(for_hosts(ctx, step), as_json)


@command.command("stale_containers")
@global_options
@click.option("--stop", "stop_them", is_flag=True, help="Stop them.")
@click.option("--json", "as_json", is_flag=True)
def stale_containers(stop_them: bool, as_json: bool, **kwargs: Any) -> None:
    """Show (or stop) running containers beside the one that serves, left by a killed deploy."""
    ctx = load(kwargs)

    async def step(server: Server) -> list[str]:
        stale = await app_workflows.stale_containers(server, ctx.config)
        if stale and stop_them:
            await server.run(app_commands.stop(ctx.config.runtime, *stale))
        return stale

    show(for_hosts(ctx, step), as_json)


def _start_stop(verb: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        ctx = load(kwargs)

        async def step(server: Server) -> list[str]:
            return await app_workflows.on_each_current(server, ctx.config, verb)

        show(for_hosts(ctx, step), False)

    return click.command(verb, help=f"{verb.capitalize()} the app's current containers.")(run)


command.add_command(_start_stop("start"))
command.add_command(_start_stop("stop"))


@command.command("images")
@global_options
@click.option("--json", "as_json", is_flag=True)
def images(as_json: bool, **kwargs: Any) -> None:
    """Show the app's images on each host."""
    ctx = load(kwargs)
    listing = cmd(ctx.config.runtime.name, "images",
                  "--filter", f"label=service={ctx.config.service}",
                  "--format", "{{.Repository}}:{{.Tag}} {{.Size}}")  # fmt: skip

    async def step(server: Server) -> list[str]:
        return (await server.run(listing)).stdout.splitlines()

    show(for_hosts(ctx, step), as_json)


@command.command("logs")
@global_options
@click.option("-n", "--lines", type=int, default=100, show_default=True)
@click.option("--since", default=None, help="Only logs since (e.g. 10m, 2026-11-22T10:00).")
@click.option("--grep", "pattern", default=None, help="Only lines matching this.")
@click.option("-f", "--follow", is_flag=True, help="Follow on the primary (or one given) host.")
@click.option("-T", "--timestamps", is_flag=True)
def logs(lines: int, since: str | None, pattern: str | None, follow: bool, timestamps: bool,
         **kwargs: Any) -> None:  # fmt: skip
    """Show the app's logs from each host."""
    ctx = load(kwargs)
    engine = ctx.config.runtime
    role = ctx.config.primary_role_name if not ctx.options.roles else ctx.options.roles[0]
    filters = " ".join(app_commands.label_filters(ctx.config.service, role, ctx.config.destination))
    flags = f"--tail {lines}" + (f" --since {shlex.quote(since)}" if since else "")
    flags += " --timestamps" if timestamps else ""
    flags += " --follow" if follow else ""
    remote = f"{engine.name} logs {flags} $({engine.name} ps --latest --quiet {filters}) 2>&1"
    if pattern:
        remote += f" | grep --line-buffered -e {shlex.quote(pattern)}"
    if follow:
        host = selected_hosts(ctx)[0]
        os.execvp("ssh", ssh_argv(ctx, host, remote))

    async def step(server: Server) -> list[str]:
        return (await server.run(Raw(remote), check=False)).stdout.splitlines()

    show(for_hosts(ctx, step), False)


def ssh_argv(ctx: AppContext, host: str, remote: str, *, tty: bool = False) -> list[str]:
    """The system ssh for interactive work (a real TTY), with the config's ssh settings."""
    ssh = ctx.config.ssh
    argv = ["ssh", "-t" if tty else "-T", "-p", str(ssh.port), "-l", ssh.user]
    if isinstance(ssh.config, str):
        argv += ["-F", ssh.config]
    elif isinstance(ssh.config, tuple) and ssh.config:
        argv += ["-F", ssh.config[0]]
    for key in ssh.keys:
        argv += ["-i", key]
    if ssh.proxy:
        argv += ["-J", ssh.proxy]
    return [*argv, host, remote]


@command.command("maintenance")
@global_options
@click.option("--message", default="Service temporarily unavailable", help="The page's text.")
def maintenance(message: str, **kwargs: Any) -> None:
    """Answer every request with a 503 maintenance page, keeping the containers running."""
    _set_maintenance(load(kwargs), Maintenance(body=message))


@command.command("live")
@global_options
def live(**kwargs: Any) -> None:
    """Serve the app again after `app maintenance`."""
    _set_maintenance(load(kwargs), None)


def _set_maintenance(ctx: AppContext, state: Maintenance | None) -> None:
    names = [ctx.config.proxy_service_name(r.name) for r in ctx.config.proxy_roles]

    async def step(server: Server) -> list[str]:
        proxy = ProxyController(server, proxy_settings(ctx.config))
        changed = await app_workflows.set_maintenance(proxy, names, state)
        return [f"{name}: {'maintenance' if state else 'live'}" for name in changed]

    hosts = [h for h in selected_hosts(ctx) if h in ctx.config.proxy_hosts]
    show(for_hosts(ctx, step, hosts), False)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A real TTY, on one host (the primary).")
@click.option("--reuse", is_flag=True, help="Run in the running container, not a new one.")
@click.option("-e", "--env", "env", multiple=True, help="Extra KEY=VALUE for the command.")
@click.option("--detach", is_flag=True, help="Leave the new container running in the background.")
@click.option("--raw", is_flag=True, help="Print the output as is, without host prefixes.")
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(interactive: bool, reuse: bool, env: tuple[str, ...], detach: bool, raw: bool,
                 words: tuple[str, ...], **kwargs: Any) -> None:  # fmt: skip
    """Run a command in a new container of the app's image with the role's current env file
    (uploaded first), or with --reuse in the running container."""
    ctx = load(kwargs)
    config = ctx.config
    role = ctx.options.roles[0] if ctx.options.roles else config.primary_role_name
    if role not in {r.name for r in config.roles}:
        raise UsageError(f"no role {role!r} in the config; give one of its roles with -r")
    role_hosts = next(r for r in config.roles if r.name == role).host_names
    hosts = [h for h in selected_hosts(ctx) if h in role_hosts]
    if not hosts:
        raise UsageError(f"no host of role {role!r} matches --hosts; nothing to run")
    request = app_exec_workflow.ExecRequest(
        command=" ".join(words), role=role, env=parse_env(env), version=ctx.options.version,
        reuse=reuse, interactive=interactive, detach=detach,
    )  # fmt: skip
    names = [ref.secret_name for h in hosts for ref in config.env_for(role, h).secrets]
    secrets = {} if reuse else ctx.secret_values(names)
    run_token = token()

    async def prepare(server: Server) -> Raw:
        return await app_exec_workflow.prepare(server, config, secrets, request, run_token)

    if interactive:
        host = hosts[0]
        remote = for_hosts(ctx, prepare, [host])[host]
        os.execvp("ssh", ssh_argv(ctx, host, remote.render(), tty=True))

    async def step(server: Server) -> Result:
        return await server.run(await prepare(server), check=False)

    show_outputs(for_hosts(ctx, step, hosts), raw=raw)


def show_outputs(results: Mapping[str, Result], *, raw: bool = False) -> None:
    """What a user's command printed on each host (each line prefixed with the host, unless
    raw); then one error naming every host where it failed, with its exit status."""
    for host, result in results.items():
        output = (result.stdout + result.stderr).rstrip("\n")
        if raw and output:
            click.echo(output)
        elif not raw:
            for line in output.splitlines() or ["(no output)"]:
                click.echo(f"{host}: {line}")
    failed = {h: r.exit_status for h, r in results.items() if not r.ok}
    if failed:
        which = ", ".join(f"{h} (exit {code})" for h, code in failed.items())
        raise DockyardError(f"the command failed on {which}")


@command.command("remove")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def remove(confirmed: bool, **kwargs: Any) -> None:
    """Remove the app's containers, images, env files and routes; the proxy stays."""
    session = load_session(kwargs, needs_version=False)
    ask(removal_question(session), confirmed=confirmed, refusal=REMOVE_REFUSAL)
    service = session.config.service
    show({h: f"removed {service}; {what}" for h, what in remove_app(session).items()}, False)


@command.command("boot")
@global_options
def boot(**kwargs: Any) -> None:
    """Boot the app again (the --version given, else the one running on the primary host):
    a new container beside each running one, health-gated, switched, the old one drained and
    stopped. No image pull, no build, no pre/post-deploy hooks (the app-boot ones run)."""
    session, printer = load_printing(kwargs, needs_version=False)
    show_release(printer, boot_again(session), "Booted")
