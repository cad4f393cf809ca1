"""`accessory backup|backups|restore|verify` on the accessory's hosts, as the CLI runs them.

made = backup(session, "db")              # {host: "<file> (<size> bytes)"}
found = listing(session, "db")            # {host: BackupListing}
"""

from __future__ import annotations

from dockyard.facts.backup import BackupListing
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.accessories.manage import on_accessories
from dockyard.workflows.backups import backup as backups
from dockyard.workflows.backups.restore import restore as restore_on_host
from dockyard.workflows.backups.verify import verify as verify_on_host
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session


def backup(session: Session, name: str) -> dict[str, str]:
    """One backup now, into the backup target (old ones pruned as configured)."""
    return on_accessories(session, name, backups.backup_now)


def listing(session: Session, name: str) -> dict[str, BackupListing]:
    return on_accessories(session, name, backups.listing)


def listing_lines(session: Session, name: str) -> dict[str, list[str]]:
    """The backups newest first with size and age, and any freshness warning."""
    return on_accessories(session, name, backups.list_lines)


def restore(session: Session, name: str, backup_name: str | None, force: bool) -> dict[str, str]:
    """A backup (default: the newest) into the accessory; the data before is kept aside."""

    async def step(server: Server, actx: AccessoryContext) -> str:
        return await restore_on_host(server, actx, backup_name, force)

    return on_accessories(session, name, step)


def verify(session: Session, name: str, backup_name: str | None) -> dict[str, str]:
    """A backup (default: the newest) restored into a throwaway container and checked."""

    async def step(server: Server, actx: AccessoryContext) -> str:
        return await verify_on_host(server, actx, backup_name)

    return on_accessories(session, name, step)
