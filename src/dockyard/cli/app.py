"""`dockyard app …`: the app's containers on every selected host."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from dockyard.cli.load import load, load_printing
from dockyard.cli.options import TAKE_OVER_ROUTES, global_options, log_options, log_query
from dockyard.cli.questions import REMOVE_REFUSAL, removal_question
from dockyard.cli.render import ask, hand_over, show, show_outputs
from dockyard.cli.suggest import SuggestingGroup
from dockyard.cli.summary import show_release
from dockyard.errors import UsageError
from dockyard.workflows.app import execute, manage
from dockyard.workflows.app import logs as app_logs
from dockyard.workflows.app.containers import RoleVersions
from dockyard.workflows.app.remove import remove_app
from dockyard.workflows.deploy.release import boot_again
from dockyard.workflows.detached import Detached
from dockyard.workflows.swarm import release as swarm

NO_CONTAINER = "(no running container)"
NO_SUCH_CONTAINER = "(no such container)"


@click.group("app", cls=SuggestingGroup)
def command() -> None:
    """Manage the app's containers."""


@command.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(as_json: bool, **kwargs: Any) -> None:
    """Show the app's containers with their state."""
    found = manage.containers(load(kwargs, needs_version=False))
    show({h: [f"{c.name} {c.state}" for c in cs] for h, cs in found.items()}, as_json)


command.add_command(details, "containers")


@command.command("version")
@global_options
@click.option("--json", "as_json", is_flag=True)
def version(as_json: bool, **kwargs: Any) -> None:
    """Show each role's versions on each host, newest first, and which one is live."""
    found = manage.versions(load(kwargs, needs_version=False))
    if as_json:
        show(
            {h: {r: dataclasses.asdict(v) for r, v in vs.items()} for h, vs in found.items()}, True
        )
        return
    show({h: [version_line(role, v) for role, v in vs.items()] for h, vs in found.items()}, False)


@command.command("stale_containers")
@global_options
@click.option("--stop", "stop_them", is_flag=True, help="Stop them.")
@click.option("--json", "as_json", is_flag=True)
def stale_containers(stop_them: bool, as_json: bool, **kwargs: Any) -> None:
    """Show (or stop) running containers beside the one that serves, left by a killed deploy."""
    show(manage.stale(load(kwargs, needs_version=False), stop=stop_them), as_json)


def _start_stop(verb: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        show(manage.start_or_stop(load(kwargs, needs_version=False), verb), False)

    return click.command(verb, help=f"{verb.capitalize()} the app's current containers.")(run)


command.add_command(_start_stop("start"))
command.add_command(_start_stop("stop"))


@command.command("images")
@global_options
@click.option("--json", "as_json", is_flag=True)
def images(as_json: bool, **kwargs: Any) -> None:
    """Show the app's images on each host."""
    show(manage.images(load(kwargs, needs_version=False)), as_json)


@command.command("logs")
@global_options
@log_options(follow="Follow the primary role on the primary host (or the first -h/-r one).")
@click.option("--container-id", default=None, help="This container, not each role's current one.")
@click.option("--json", "as_json", is_flag=True)
def logs(container_id: str | None, as_json: bool, **kwargs: Any) -> None:
    """Show the logs of each role's current container on each of its hosts (-r, -h narrow them),
    each line after its host and role."""
    query = log_query(kwargs)
    session = load(kwargs, needs_version=False)
    if query.follow:
        hand_over(app_logs.follow(session, query, container=container_id))
    found = app_logs.logs(session, query, container=container_id)
    show(found if as_json else _log_lines(found, container_id is not None), as_json)


def _log_lines(found: dict[str, app_logs.Found], by_id: bool) -> dict[str, list[str]]:
    """`host (role)` -> its lines, as show() prints them: each line after its host and role
    (or the container asked for)."""
    missing = [NO_SUCH_CONTAINER if by_id else NO_CONTAINER]
    return {
        f"{host} ({source})": missing if lines is None else lines
        for host, sources in found.items()
        for source, lines in sources.items()
    }


@command.command("maintenance")
@global_options
@click.option("--message", default="Service temporarily unavailable", help="The page's text.")
def maintenance(message: str, **kwargs: Any) -> None:
    """Answer every request with a 503 maintenance page, keeping the containers running."""
    changed = manage.maintenance(load(kwargs, needs_version=False), message)
    show({h: [f"{name}: maintenance" for name in names] for h, names in changed.items()}, False)


@command.command("live")
@global_options
def live(**kwargs: Any) -> None:
    """Serve the app again after `app maintenance`."""
    changed = manage.maintenance(load(kwargs, needs_version=False), None)
    show({h: [f"{name}: live" for name in names] for h, names in changed.items()}, False)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A real TTY, on one host (the primary).")
@click.option("--reuse", is_flag=True, help="Run in the running container, not a new one.")
@click.option("-e", "--env", "env", multiple=True, help="Extra KEY=VALUE for the command.")
@click.option("--detach", is_flag=True, help="Start the new container and leave it running.")
@click.option("--raw", is_flag=True, help="Print the output as is, without host prefixes.")
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(interactive: bool, reuse: bool, env: tuple[str, ...], detach: bool, raw: bool,
                 words: tuple[str, ...], **kwargs: Any) -> None:  # fmt: skip
    """Run a command in a new container of the app's image with the role's current env file
    (uploaded first), or with --reuse in the running container; with --detach, the new
    container is left running (its name is printed, with how to follow and remove it)."""
    refuse_with_detach(detach, interactive=interactive, reuse=reuse, raw=raw)
    session = load(kwargs, needs_version=False)
    if interactive:
        hand_over(execute.interactive(session, words, env, reuse=reuse))
    if detach:
        started = execute.start_detached(session, words, env)
        show({d.host: detached_lines(d) for d in started}, False)
        return
    show_outputs(execute.run_everywhere(session, words, env, reuse=reuse), raw=raw)


def refuse_with_detach(detach: bool, *, interactive: bool, reuse: bool, raw: bool) -> None:
    """Kamal's rule: --detach starts a new container and prints no output of the command."""
    given = [flag for flag, on in (("-i", interactive), ("--reuse", reuse), ("--raw", raw)) if on]
    if detach and given:
        raise UsageError(
            f"--detach is not compatible with {' or '.join(given)}: give one or the other"
        )


def detached_lines(started: Detached) -> list[str]:
    """The container `app exec --detach` left running on a host, and the commands that follow
    its output and remove it."""
    on_host = f"dockyard server exec -h {started.host}"
    return [
        f"{started.name} started, detached (container {started.container[:12]})",
        f"follow its output: {on_host} -i '{started.engine} logs --follow {started.name}'",
        f"remove it: {on_host} '{started.engine} rm --force {started.name}'",
    ]


@command.command("remove")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def remove(confirmed: bool, **kwargs: Any) -> None:
    """Remove the app's containers, images, env files and routes; the proxy stays."""
    session = load(kwargs, needs_version=False)
    ask(removal_question(session), confirmed=confirmed, refusal=REMOVE_REFUSAL)
    service = session.config.service
    show({h: f"removed {service}; {what}" for h, what in remove_app(session).items()}, False)


@command.command("boot")
@global_options
@TAKE_OVER_ROUTES
def boot(take_over_routes: bool, **kwargs: Any) -> None:
    """Boot the app again (the --version given, else the one running on the primary host):
    a new container beside each running one, health-gated, switched, the old one drained and
    stopped. No image pull, no build, no pre/post-deploy hooks (the app-boot ones run)."""
    session, printer = load_printing(kwargs, needs_version=False)
    show_release(printer, boot_again(session, take_over_routes=take_over_routes), "Booted")


def version_line(role: str, found: RoleVersions) -> str:
    """`web: v3 (live), v2, v1`: a role's versions newest first, the one that serves marked
    (`running` for a role without the proxy); `none runs` when no version does."""
    mark = "live" if found.proxied else "running"
    shown = [f"{v} ({mark})" if v == found.current else v for v in found.versions]
    return f"{role}: {', '.join(shown)}" + ("" if found.current else " (none runs)")


@command.command("scale")
@global_options
@click.option("--json", "as_json", is_flag=True)
@click.argument("assignment", metavar="ROLE=N")
def scale(assignment: str, as_json: bool, **kwargs: Any) -> None:
    """Run N tasks of a role on the swarm (x-dockyard/backend: swarm), waiting until they all
    run; the next deploy applies the config's replicas again."""
    role, _, number = assignment.partition("=")
    if not role or not number.isdigit():
        raise click.BadParameter(f"{assignment!r}: write ROLE=N, e.g. web=6", param_hint="ROLE=N")
    show(swarm.scale(load(kwargs, needs_version=False), role, int(number)), as_json)
