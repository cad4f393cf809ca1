"""`deploy`, `redeploy`, `rollback` and `setup`."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load_printing
from dockyard.cli.options import TAKE_OVER_ROUTES, global_options
from dockyard.cli.summary import show_release
from dockyard.workflows.deploy import release


@click.command("deploy")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
@TAKE_OVER_ROUTES
def deploy_command(skip_push: bool, no_cache: bool, take_over_routes: bool, **kwargs: Any) -> None:
    """Deploy the app with zero downtime: ship, boot beside the old, switch, drain, stop old."""
    session, printer = load_printing(kwargs)
    done = release.deploy(
        session, build=not skip_push, no_cache=no_cache, take_over_routes=take_over_routes
    )
    show_release(printer, done, "Deployed", details=True)


@click.command("redeploy")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True)
@TAKE_OVER_ROUTES
def redeploy_command(
    skip_push: bool, no_cache: bool, take_over_routes: bool, **kwargs: Any
) -> None:
    """Deploy without booting the proxy."""
    session, printer = load_printing(kwargs)
    done = release.redeploy(
        session, build=not skip_push, no_cache=no_cache, take_over_routes=take_over_routes
    )
    show_release(printer, done, "Redeployed", details=True)


@click.command("setup")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True)
@TAKE_OVER_ROUTES
def setup_command(skip_push: bool, no_cache: bool, take_over_routes: bool, **kwargs: Any) -> None:
    """Install the container engine where it is missing, boot the accessories (and their
    backup schedules), then deploy the app."""
    session, printer = load_printing(kwargs)
    done = release.setup(
        session, build=not skip_push, no_cache=no_cache, take_over_routes=take_over_routes
    )
    show_release(printer, done, "Set up", details=True)


@click.command("rollback")
@global_options
@click.argument("target", metavar="[VERSION]", required=False)
@TAKE_OVER_ROUTES
def rollback_command(target: str | None, take_over_routes: bool, **kwargs: Any) -> None:
    """Bring back VERSION (default: the version that served before the current one) at once."""
    session, printer = load_printing(kwargs, needs_version=False)
    done = release.rollback(session, target, take_over_routes=take_over_routes)
    show_release(printer, done, "Rolled back to")
