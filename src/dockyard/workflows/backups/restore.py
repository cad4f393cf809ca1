"""Restore a backup into its accessory, losing nothing: the entry point, for every kind.

    done = await restore(server, actx, name=None, force=False)   # the newest backup

Each kind keeps the data it replaces and says where: restore_postgres.py (a database loaded
beside the live one, then swapped), restore_mysql.py (the tables moved aside, or the database
dumped beside the backups, then the load), restore_files.py (Redis's dump.rdb and volumes, with
the accessory stopped). A backup in an S3 store is fetched first, an encrypted one checked and
decrypted into a hidden copy; both copies are removed afterwards.
"""

from __future__ import annotations

from dockyard.facts.backup import BackupEntry
from dockyard.workflows.accessories.context import AccessoryContext, failing
from dockyard.workflows.backups.backup import place_of, read_listing
from dockyard.workflows.backups.copies import (
    CopyLeft,
    check_sum,
    fetched,
    pick,
    plain_copy,
    saying,
)
from dockyard.workflows.backups.restore_files import restore_redis, restore_volume
from dockyard.workflows.backups.restore_mysql import restore_mysql
from dockyard.workflows.backups.restore_postgres import restore_postgres
from dockyard.workflows.server import Server


async def restore(server: Server, actx: AccessoryContext, name: str | None, force: bool) -> str:
    """Restore the backup `name` (None: the newest); every failure names the accessory and says
    where the data before is."""
    async with failing(server, actx.accessory.name, "restoring"):
        place = place_of(actx)
        if place.settings.kind == "postgres" and place.settings.s3 is None:
            return await restore_postgres(server, actx, name, force)  # lists it itself
        async with saying(server, "nothing was changed"):
            chosen = pick(await read_listing(server, actx), name, server.host)
        done = ""
        try:
            async with fetched(server, actx, chosen) as entry:  # from the store, if S3
                done = await restore_file(server, actx, entry, force)
                done = done.replace(entry.file, chosen.file)
        except CopyLeft as error:  # after the restore: it is told with what was done
            raise CopyLeft(f"{error}; {done}" if done else str(error)) from error
        return done


async def restore_file(
    server: Server, actx: AccessoryContext, entry: BackupEntry, force: bool
) -> str:
    """Restore from a backup file in the backup directory."""
    place = place_of(actx)
    if place.settings.kind == "postgres":
        return await restore_postgres(server, actx, None, force, entry)

    async def checked() -> None:
        await check_sum(server, place, entry)

    if place.settings.kind == "mysql" and not entry.encrypted:
        return await restore_mysql(server, actx, entry.file, force, checked)
    async with saying(server, "nothing was changed"):
        await checked()
    done = ""
    try:
        async with plain_copy(server, actx, entry) as file:
            if place.settings.kind == "mysql":
                done = await restore_mysql(server, actx, file, force)
            elif place.settings.kind == "volume":
                done = await restore_volume(server, actx, file)
            else:
                done = await restore_redis(server, actx, file)
            done = done.replace(file, entry.file)
    except CopyLeft as error:  # after the restore: it is told with what was done
        raise CopyLeft(f"{error}; {done}" if done else str(error)) from error
    return done
