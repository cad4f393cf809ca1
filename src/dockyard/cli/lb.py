"""`dockyard lb boot|reboot|details|logs|drain|undrain|remove`: the load balancer edges
(x-dockyard/load_balancer)."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options, log_options, log_query
from dockyard.cli.render import ask, hand_over, show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.balancer import lifecycle, manage
from dockyard.workflows.balancer.manage import EdgeDetails


@click.group("lb", cls=SuggestingGroup)
def command() -> None:
    """Manage the load balancer edges in front of the web hosts."""


@command.command("boot")
@global_options
def boot(**kwargs: Any) -> None:
    """Start each edge (or keep it running) serving the web hosts of the config."""
    booted = manage.boot(load(kwargs, needs_version=False))
    show(
        {h: "edge updated" if changed else "edge up to date" for h, changed in booted.items()},
        False,
    )


@command.command("reboot")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def reboot(confirmed: bool, **kwargs: Any) -> None:
    """Replace each edge's container (new image or ports), one edge at a time."""
    session = load(kwargs, needs_version=False)
    ask(
        "Rebooting an edge closes its connections (one edge at a time). Go on?",
        confirmed=confirmed,
        refusal="reboot closes each edge's connections in turn; add -y to go ahead",
    )
    show(dict.fromkeys(lifecycle.reboot(session), "edge rebooted"), False)


@command.command("logs")
@global_options
@log_options(follow="Follow on the first edge.", grep_options=False)
def logs(**kwargs: Any) -> None:
    """Show each edge's log (Caddy's JSON log)."""
    query = log_query(kwargs)
    session = load(kwargs, needs_version=False)
    if query.follow:
        hand_over(lifecycle.follow_logs(session, query))
    show(lifecycle.logs(session, query), False)


@command.command("remove")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def remove(confirmed: bool, **kwargs: Any) -> None:
    """Remove each edge's container, state and data: clients through them get no answer."""
    session = load(kwargs, needs_version=False)
    ask(
        "Removing the edges takes the app offline for clients that go through them. Go on?",
        confirmed=confirmed,
        refusal="remove takes the edges away; add -y to go ahead",
    )
    show(dict.fromkeys(lifecycle.remove(session), "edge removed"), False)


@command.command("drain")
@global_options
@click.argument("host")
def drain(host: str, **kwargs: Any) -> None:
    """Take a web host out of every edge's rotation and wait for its requests to finish."""
    left = manage.drain(load(kwargs, needs_version=False), host)
    lines = {
        edge: f"{n} request(s) still in flight to {host} at the drain timeout"
        for edge, n in left.items()
    }
    show(lines or {host: "drained: no edge sends it requests"}, False)


@command.command("undrain")
@global_options
@click.argument("host")
def undrain(host: str, **kwargs: Any) -> None:
    """Put a drained web host back into the edges' rotation (after its next passed checks)."""
    manage.undrain(load(kwargs, needs_version=False), host)
    show({host: "back in rotation once its health checks pass"}, False)


@command.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(as_json: bool, **kwargs: Any) -> None:
    """Show each edge's container and, per web host, its requests in flight, its failures and
    its health as the edge's check sees it now (healthy, drained, or down and why)."""
    found = manage.details(load(kwargs, needs_version=False))
    if as_json:
        show({edge: _as_json(d) for edge, d in found.items()}, True)
    else:
        show({edge: _lines(d) for edge, d in found.items()}, False)


def _lines(details: EdgeDetails) -> list[str]:
    lines = list(details.container) or ["no edge container"]
    for address, up in sorted(details.upstreams.items()):
        failures = up.recent_failures
        line = f"upstream {address}: {up.in_flight} in flight, {failures} recent failures"
        health = details.health.get(address, {})
        lines.append("; ".join([line, *(f"{s} {v}" for s, v in sorted(health.items()))]))
    return lines


def _as_json(details: EdgeDetails) -> dict[str, Any]:
    return {
        "container": details.container,
        "upstreams": {
            address: {
                "in_flight": up.in_flight,
                "recent_failures": up.recent_failures,
                "health": dict(sorted(details.health.get(address, {}).items())),
            }
            for address, up in sorted(details.upstreams.items())
        },
    }
