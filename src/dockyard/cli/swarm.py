"""`dockyard swarm setup|status|nodes|stack`: the app's Docker Swarm (x-dockyard/backend: swarm;
`dockyard deploy`, `rollback` and `app scale` deploy to it)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.render import show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.swarm import manage


@click.group("swarm", cls=SuggestingGroup)
def command() -> None:
    """Form the app's Docker Swarm and show it."""


@command.command("setup")
@global_options
@click.option("--json", "as_json", is_flag=True)
def setup(as_json: bool, **kwargs: Any) -> None:
    """Make every server a node of the app's swarm (three managers when there are three or more
    servers) and create its attachable overlay network. Safe to run again; a server in another
    swarm is refused before anything changes."""
    formed = manage.setup(load(kwargs, needs_version=False))
    show({**formed.by_host, "network": f"{formed.network} (attachable overlay)"}, as_json)


# what the node's kernel allows of Swarm's routing mesh (IPVS), which dockyard never uses
MESH = {
    True: "routing mesh available (IPVS; dockyard does not use it)",
    False: "no routing mesh (no IPVS in the kernel; dockyard does not need it)",
    None: "routing mesh unknown",
}


@command.command("status")
@global_options
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool, **kwargs: Any) -> None:
    """Show each server's swarm state (inactive, or active as a manager or a worker) and
    whether its kernel could run Swarm's routing mesh (IPVS)."""
    states = manage.status(load(kwargs, needs_version=False))
    if as_json:
        click.echo(json.dumps({h: dataclasses.asdict(s) for h, s in states.items()}, indent=2))
        return
    for host, state in states.items():
        role = ("manager" if state.manager else "worker") if state.active else ""
        click.echo(f"{host}: {state.state}" + (f" ({role}, node {state.node_id})" if role else "")
                   + f"; {MESH.get(state.ipvs, MESH[None])}")  # fmt: skip


@command.command("nodes")
@global_options
@click.option("--json", "as_json", is_flag=True)
def nodes(as_json: bool, **kwargs: Any) -> None:
    """List the swarm's nodes as its first manager sees them."""
    found = manage.nodes(load(kwargs, needs_version=False))
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(n) for n in found], indent=2))
        return
    for node in found:
        role = f", {node.manager_status}" if node.manager_status else ", worker"
        click.echo(f"{node.hostname}: {node.status}, {node.availability}{role}")


@command.command("stack")
@global_options
def stack(**kwargs: Any) -> None:
    """Print the stack file of this version: `docker stack deploy` deploys the same services
    without dockyard (each role's env file, which holds its secrets, is not printed)."""
    click.echo(manage.stack(load(kwargs)), nl=False)
