"""`dockyard prune all|images|containers`: what deploys leave behind, on every app host."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.app import for_hosts, load, show
from dockyard.cli.options import global_options
from dockyard.commands import prune as prune_commands
from dockyard.commands.base import Command, all_of
from dockyard.workflows.server import Server


@click.group("prune")
def command() -> None:
    """Remove old containers and images."""


def _pruner(what: str, help_text: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        ctx = load(kwargs)
        config = ctx.config
        engine, service = config.runtime, config.service
        parts: list[Command] = []
        if what in ("all", "containers"):
            keep = config.retain_containers
            parts.append(prune_commands.containers(engine, service, config.destination, keep))
        if what in ("all", "images"):
            parts.append(prune_commands.images(engine, service))

        async def step(server: Server) -> list[str]:
            removed = (await server.run(all_of(*parts))).stdout.splitlines()
            return removed or ["nothing to prune"]

        show(for_hosts(ctx, step), False)

    return click.command(what, help=help_text)(run)


command.add_command(
    _pruner("all", "Prune stopped containers beyond retain_containers, and unused images.")
)
command.add_command(
    _pruner("containers", "Remove stopped containers beyond the newest retain_containers.")
)
command.add_command(_pruner("images", "Remove images no container uses (latest is kept)."))
