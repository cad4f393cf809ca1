"""`dockyard lock acquire -m MESSAGE | release | status` (on the primary host, as Kamal)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from dockyard.cli.context import AppContext, performer
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.errors import DockyardError, LockError
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.lock import DeployLock, new_details
from dockyard.workflows.server import Server


def _lock(ctx: AppContext, transport: AsyncsshTransport) -> DeployLock:
    host = ctx.config.primary_host
    if host is None:
        raise DockyardError("the config has no primary host to hold the lock")
    server = Server(transport, host, ctx.config.runtime)
    return DeployLock(server, ctx.config.service, ctx.config.destination)


@click.group("lock")
def command() -> None:
    """Manage the deploy lock."""


@command.command("acquire")
@global_options
@click.option("-m", "--message", required=True, help="Why the lock is taken.")
def acquire(message: str, **kwargs: Any) -> None:
    """Take the deploy lock by hand: deploys are refused until it is released."""
    details = new_details("unknown", message, user=performer())  # a bad message: nothing sent
    ctx = AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")

    async def work(transport: AsyncsshTransport) -> None:
        lock = _lock(ctx, transport)
        holder = await lock.try_acquire(details)
        if holder is not None:
            raise LockError(f"the deploy lock on {lock.host} is already held: {holder.describe()}")

    ctx.run(work)
    click.echo(f"Acquired the deploy lock on {ctx.config.primary_host}")


@command.command("release")
@global_options
def release(**kwargs: Any) -> None:
    """Release the deploy lock (also one left behind by a run that was killed)."""
    ctx = AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")

    async def work(transport: AsyncsshTransport) -> bool:
        lock = _lock(ctx, transport)
        if await lock.status() is None:
            return False
        await lock.release()
        return True

    released = ctx.run(work)
    click.echo("Released the deploy lock" if released else "There is no deploy lock")


@command.command("status")
@global_options
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool, **kwargs: Any) -> None:
    """Show who holds the deploy lock, since when and why."""
    ctx = AppContext.load(GlobalOptions.from_kwargs(kwargs), version="unknown")
    holder = ctx.run(lambda transport: _lock(ctx, transport).status())
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(holder) if holder else None, indent=2))
        return
    click.echo(f"Locked: {holder.describe()}" if holder else "There is no deploy lock")
