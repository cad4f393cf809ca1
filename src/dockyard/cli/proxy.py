"""`dockyard proxy boot|reboot|start|stop|restart|details|logs|remove` on the proxy hosts."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options, log_options, log_query
from dockyard.cli.render import ask, hand_over, show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.proxy import manage
from dockyard.workflows.proxy.manage import CONTAINER, ProxyDetails


@click.group("proxy", cls=SuggestingGroup)
def command() -> None:
    """Manage the Caddy proxy on each server."""


@command.command("boot")
@global_options
def boot(**kwargs: Any) -> None:
    """Start the proxy (or keep it running) with every app's routes on the host."""
    routes = manage.boot(load(kwargs, needs_version=False))
    show({h: f"{CONTAINER} running, {n} route(s)" for h, n in routes.items()}, False)


@command.command("reboot")
@global_options
@click.option("--rolling", is_flag=True, help="One host at a time.")
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def reboot(rolling: bool, confirmed: bool, **kwargs: Any) -> None:
    """Replace the proxy container (new image or options): a brief gap on each host."""
    session = load(kwargs, needs_version=False)
    ask(
        "Rebooting the proxy drops requests for a moment on each host. Go on?",
        confirmed=confirmed,
        refusal="reboot stops the proxy for a moment; add -y to go ahead",
    )
    hosts = manage.reboot(session, rolling=rolling)
    show(dict.fromkeys(hosts, f"{CONTAINER} rebooted"), False)


def _container_command(verb: str, help_text: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        hosts = manage.control(load(kwargs, needs_version=False), verb)
        show(dict.fromkeys(hosts, f"{CONTAINER}: {verb} done"), False)

    return click.command(verb, help=help_text)(run)


command.add_command(_container_command("start", "Start the existing proxy container."))
command.add_command(_container_command("stop", "Stop the proxy container (apps go offline)."))
command.add_command(_container_command("restart", "Restart the proxy container."))


@command.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(as_json: bool, **kwargs: Any) -> None:
    """Show the proxy container and the routes it serves."""
    found = manage.details(load(kwargs, needs_version=False))
    show({host: _detail_lines(d) for host, d in found.items()}, as_json)


def _detail_lines(details: ProxyDetails) -> list[str]:
    lines = list(details.container)
    for r in details.routes:
        where = ",".join(r.hosts) or "*"
        mode = " (maintenance)" if r.maintenance else ""
        lines.append(f"route {r.name}: {where}{''.join(r.path_prefixes)} -> {r.upstream}{mode}")
    return lines


@command.command("logs")
@global_options
@log_options(follow="Follow on the primary host (or the first -h one).", grep_options=False)
def logs(**kwargs: Any) -> None:
    """Show the proxy's logs (Caddy's JSON access and error log)."""
    query = log_query(kwargs)
    session = load(kwargs, needs_version=False)
    if query.follow:
        hand_over(manage.follow_logs(session, query))
    show(manage.logs(session, query), False)


@command.command("remove")
@global_options
@click.option("--force", is_flag=True, help="Remove it even while apps are routed through it.")
def remove(force: bool, **kwargs: Any) -> None:
    """Remove the proxy container and its state; refused while apps still use it."""
    hosts = manage.remove(load(kwargs, needs_version=False), force=force)
    show(dict.fromkeys(hosts, f"{CONTAINER} removed"), False)
