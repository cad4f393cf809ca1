"""`dockyard accessory backup|backups|restore|verify`: backups you can trust."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.accessory import hosts_of, on_accessories
from dockyard.cli.app import load, show
from dockyard.cli.options import global_options
from dockyard.errors import UsageError
from dockyard.workflows.accessories import lifecycle as flows
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups import backup as backups
from dockyard.workflows.server import Server


def _one(name: str, verb: str) -> None:
    if name == "all":
        raise UsageError(f"`accessory {verb}` takes one accessory's name, not all")


def register(group: click.Group) -> None:
    group.add_command(backup)
    group.add_command(backups_command)
    group.add_command(restore)
    group.add_command(verify)


@click.command("backup")
@click.argument("name")
@global_options
def backup(name: str, **kwargs: Any) -> None:
    """Back up an accessory now (into its backup target; old ones pruned as configured)."""
    _one(name, "backup")
    show(on_accessories(load(kwargs), name, backups.backup_now), False)


@click.command("backups")
@click.argument("name")
@global_options
@click.option("--json", "as_json", is_flag=True)
def backups_command(name: str, as_json: bool, **kwargs: Any) -> None:
    """List an accessory's backups, newest first, with size and age."""
    _one(name, "backups")
    ctx = load(kwargs)
    if as_json:
        from dataclasses import asdict

        async def raw(server: Server, actx: AccessoryContext) -> Any:
            return asdict(await backups.listing(server, actx))

        show(on_accessories(ctx, name, raw), True)
        return
    show(on_accessories(ctx, name, backups.list_lines), False)


@click.command("restore")
@click.argument("name")
@click.argument("backup_name", required=False)
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask.")
@click.option("--force", is_flag=True, help="Disconnect sessions still using the database.")
def restore(name: str, backup_name: str | None, confirmed: bool, force: bool,
            **kwargs: Any) -> None:  # fmt: skip
    """Restore a backup (default: the newest) into the accessory; the data before is kept."""
    _one(name, "restore")
    ctx = load(kwargs)
    accessory = flows.find(ctx.config, name)
    if not confirmed:
        which = backup_name or "the newest backup"
        click.confirm(
            f"Restore {which} into {accessory.name} on {', '.join(hosts_of(ctx, accessory))}? "
            "Its current data is kept aside, not deleted.",
            abort=True,
        )
    from dockyard.workflows.backups.restore import restore as run_restore

    async def step(server: Server, actx: AccessoryContext) -> Any:
        return await run_restore(server, actx, backup_name, force)

    show(on_accessories(ctx, name, step), False)


@click.command("verify")
@click.argument("name")
@click.argument("backup_name", required=False)
@global_options
def verify(name: str, backup_name: str | None, **kwargs: Any) -> None:
    """Restore a backup (default: the newest) into a throwaway container and check it."""
    _one(name, "verify")
    from dockyard.workflows.backups.verify import verify as run_verify

    async def step(server: Server, actx: AccessoryContext) -> Any:
        return await run_verify(server, actx, backup_name)

    show(on_accessories(load(kwargs), name, step), False)
