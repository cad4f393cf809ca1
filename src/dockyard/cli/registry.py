"""`dockyard registry login|logout`: on the builder (or this machine) and on the servers."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.delivery import registry


@click.group("registry", cls=SuggestingGroup)
def command() -> None:
    """Log in to and out of the image registry."""


@command.command("login")
@global_options
@click.option("-L", "--skip-local", is_flag=True, help="Not on the builder.")
@click.option("-R", "--skip-remote", is_flag=True, help="Not on the servers.")
def login_command(skip_local: bool, skip_remote: bool, **kwargs: Any) -> None:
    """Log in on the builder and on every server (password on stdin)."""
    session = load(kwargs, needs_version=False)
    registry.login(session, builder=not skip_local, servers=not skip_remote)


@command.command("logout")
@global_options
@click.option("-L", "--skip-local", is_flag=True, help="Not on the builder.")
@click.option("-R", "--skip-remote", is_flag=True, help="Not on the servers.")
def logout_command(skip_local: bool, skip_remote: bool, **kwargs: Any) -> None:
    """Log out on the builder and on every server."""
    session = load(kwargs, needs_version=False)
    registry.logout(session, builder=not skip_local, servers=not skip_remote)
