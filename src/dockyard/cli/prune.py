"""`dockyard prune all|images|containers`: what deploys leave behind, on every app host."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.render import show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.app.prune import prune


@click.group("prune", cls=SuggestingGroup)
def command() -> None:
    """Remove old containers and images."""


def _pruner(what: str, help_text: str) -> click.Command:
    @global_options
    def run(**kwargs: Any) -> None:
        session = load(kwargs, needs_version=False)
        containers, images = what in ("all", "containers"), what in ("all", "images")
        removed = prune(session, containers=containers, images=images)
        show({h: lines or ["nothing to prune"] for h, lines in removed.items()}, False)

    return click.command(what, help=help_text)(run)


command.add_command(
    _pruner("all", "Prune stopped containers beyond retain_containers, and unused images.")
)
command.add_command(
    _pruner("containers", "Remove stopped containers beyond the newest retain_containers per role.")
)
command.add_command(_pruner("images", "Remove images no container uses (latest is kept)."))
