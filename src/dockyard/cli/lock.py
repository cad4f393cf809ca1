"""`dockyard lock acquire -m MESSAGE | release | status` (on the primary host, as Kamal)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows import lock


@click.group("lock", cls=SuggestingGroup)
def command() -> None:
    """Manage the deploy lock."""


@command.command("acquire")
@global_options
@click.option("-m", "--message", required=True, help="Why the lock is taken.")
def acquire(message: str, **kwargs: Any) -> None:
    """Take the deploy lock by hand: deploys are refused until it is released."""
    session = load(kwargs, needs_version=False)
    lock.acquire_by_hand(session, message)
    click.echo(f"Acquired the deploy lock on {session.config.primary_host}")


@command.command("release")
@global_options
def release(**kwargs: Any) -> None:
    """Release the deploy lock (also one left behind by a run that was killed)."""
    released = lock.release_by_hand(load(kwargs, needs_version=False))
    click.echo("Released the deploy lock" if released else "There is no deploy lock")


@command.command("status")
@global_options
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool, **kwargs: Any) -> None:
    """Show who holds the deploy lock, since when and why."""
    holder = lock.status(load(kwargs, needs_version=False))
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(holder) if holder else None, indent=2))
        return
    click.echo(f"Locked: {holder.describe()}" if holder else "There is no deploy lock")
