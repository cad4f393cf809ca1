"""`dockyard build push|pull|deliver|dev|create|remove|details`: the app image."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load, load_printing
from dockyard.cli.options import global_options
from dockyard.cli.suggest import SuggestingGroup
from dockyard.plan.build import check_dev_output
from dockyard.workflows.delivery import ship
from dockyard.workflows.session import Session


@click.group("build", cls=SuggestingGroup)
def command() -> None:
    """Build and deliver the app image."""


@command.command("push")
@global_options
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def push_command(no_cache: bool, **kwargs: Any) -> None:
    """Build the image; push it to the registry (with delivery: ssh it stays on the builder)."""
    session, printer = load_printing(kwargs)
    ship.push(session, no_cache=no_cache)
    printer.summary([], f"Built {session.config.absolute_image}")


@command.command("dev")
@global_options
@click.option(
    "--output",
    default="docker",
    show_default=True,
    help="docker: keep it in the builder's image store; registry: also push the -dirty tags.",
)
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def dev_command(output: str, no_cache: bool, **kwargs: Any) -> None:
    """Build the working tree (uncommitted changes included) as <image>:<version>-dirty."""
    check_dev_output(output)
    session, printer = load_printing(kwargs)
    to_registry = output == "registry"
    tags = ship.dev(session, to_registry=to_registry, no_cache=no_cache)
    where = "pushed" if to_registry else "in the builder's image store"
    printer.summary([], f"Built {tags[0]} from the working tree ({where})")


@command.command("deliver")
@global_options
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def deliver_command(no_cache: bool, **kwargs: Any) -> None:
    """Build the image, then get it onto the servers (registry, or over SSH)."""
    session, printer = load_printing(kwargs)
    hosts = ship.deliver(session, no_cache=no_cache)
    printer.summary([], f"Delivered {session.config.absolute_image} to {len(hosts)} host(s)")


@command.command("pull")
@global_options
def pull_command(**kwargs: Any) -> None:
    """Get the built image onto the servers without building (registry pull, or over SSH)."""
    session, printer = load_printing(kwargs)
    hosts = ship.pull(session)
    printer.summary([], f"{session.config.absolute_image} on {len(hosts)} host(s)")


@command.command("create")
@global_options
def create_command(**kwargs: Any) -> None:
    """Check the builder: reachable, with an engine (dockyard keeps no builder instance)."""
    _describe(load(kwargs, needs_version=False))


@command.command("details")
@global_options
def details_command(**kwargs: Any) -> None:
    """Show the builder, its engine and how images reach the servers."""
    _describe(load(kwargs, needs_version=False))


@command.command("remove")
@global_options
def remove_command(**kwargs: Any) -> None:
    """Nothing to remove: dockyard builds with the builder's engine and keeps no builder."""
    load(kwargs, needs_version=False)
    click.echo("dockyard keeps no builder instance (unlike buildx builders); nothing to remove")


def _describe(session: Session) -> None:
    builder = ship.describe(session)
    config = session.config
    click.echo(
        f"builder: {builder.name} ({builder.kind}, {builder.machine}); arch: "
        f"{', '.join(config.builder.arch)}; delivery: {config.dockyard.delivery}"
    )
