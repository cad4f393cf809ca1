"""`dockyard accessory backup|backups|restore|verify`: backups you can trust."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.render import ask, show
from dockyard.errors import UsageError
from dockyard.plan.targets import accessory_hosts
from dockyard.workflows.accessories.lifecycle import find
from dockyard.workflows.backups import manage


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
    show(manage.backup(load(kwargs, needs_version=False), name), False)


@click.command("backups")
@click.argument("name")
@global_options
@click.option("--json", "as_json", is_flag=True)
def backups_command(name: str, as_json: bool, **kwargs: Any) -> None:
    """List an accessory's backups, newest first, with size and age."""
    _one(name, "backups")
    session = load(kwargs, needs_version=False)
    if as_json:
        found = manage.listing(session, name)
        show({host: dataclasses.asdict(listing) for host, listing in found.items()}, True)
        return
    show(manage.listing_lines(session, name), False)


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
    session = load(kwargs, needs_version=False)
    accessory = find(session.config, name)
    hosts = ", ".join(accessory_hosts(accessory, session.selection))
    ask(
        f"Restore {backup_name or 'the newest backup'} into {accessory.name} on {hosts}? "
        "Its current data is kept aside, not deleted.",
        confirmed=confirmed,
    )
    show(manage.restore(session, name, backup_name, force), False)


@click.command("verify")
@click.argument("name")
@click.argument("backup_name", required=False)
@global_options
def verify(name: str, backup_name: str | None, **kwargs: Any) -> None:
    """Restore a backup (default: the newest) into a throwaway container and check it."""
    _one(name, "verify")
    show(manage.verify(load(kwargs, needs_version=False), name, backup_name), False)
