"""`dockyard lb boot|details|drain|undrain`: the load balancer edges (x-dockyard/load_balancer)."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.render import show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.balancer import manage
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
    """Show each edge's container and, per web host, its requests in flight and failures."""
    found = manage.details(load(kwargs, needs_version=False))
    if as_json:
        show({edge: _as_json(d) for edge, d in found.items()}, True)
    else:
        show({edge: _lines(d) for edge, d in found.items()}, False)


def _lines(details: EdgeDetails) -> list[str]:
    lines = list(details.container) or ["no edge container"]
    for address, up in sorted(details.upstreams.items()):
        failures = up.recent_failures
        lines.append(f"upstream {address}: {up.in_flight} in flight, {failures} recent failures")
    return lines


def _as_json(details: EdgeDetails) -> dict[str, Any]:
    return {
        "container": details.container,
        "upstreams": {
            address: {"in_flight": up.in_flight, "recent_failures": up.recent_failures}
            for address, up in sorted(details.upstreams.items())
        },
    }
