"""What restore and verify do with a backup file before they use it: pick it, fetch it from the
store, check its sha256, decrypt it. Each copy made on the host (`.s3-<file>`, `.plain-<file>`)
is removed afterwards, also when the work with it failed or was cut off; a copy that cannot be
removed is said, with the command that removes it (a decrypted copy is the data in the clear).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from dockyard.commands import backup as commands
from dockyard.errors import AccessoryError, CommandFailed, DockyardError
from dockyard.facts.backup import BackupEntry, BackupListing, parse_sha256sum
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups.backup import (
    BackupError,
    key_file_of,
    last_line,
    place_of,
    write_key,
)
from dockyard.workflows.server import Server


def pick(found: BackupListing, name: str | None, host: str) -> BackupEntry:
    """The named backup, or the newest."""
    if name:
        entry = found.find(name)
        if entry is None:
            raise BackupError(f"{host}: no backup named {name}; `accessory backups` lists them")
        return entry
    if found.latest is None:
        raise BackupError(f"{host}: there are no backups yet; `accessory backup` makes one")
    return found.latest


@asynccontextmanager
async def fetched(
    server: Server, actx: AccessoryContext, entry: BackupEntry
) -> AsyncIterator[BackupEntry]:
    """The backup as a file in the backup directory: itself, or for an S3 target a copy
    downloaded from the store (hidden, `.s3-<file>`), removed afterwards. The store's copy is
    never changed."""
    place = place_of(actx)
    if place.settings.s3 is None:
        yield entry
        return
    local = f".s3-{entry.file}"
    try:
        async with saying(server, f"{entry.file} was not fetched; nothing was changed"):
            key_file = await write_key(server, actx, place)
            step = commands.s3_script(actx.engine, place, key_file, "get", entry.file, local)
            result = await server.run(step, check=False, timeout=UNBOUNDED)
        if not result.ok:
            why = last_line(result.stderr, result.stdout)
            raise BackupError(f"{server.host}: cannot fetch {entry.file} from the store: {why}; "
                              "nothing was changed")  # fmt: skip
        try:
            yield replace(entry, file=local)
        except BackupError as error:  # said with the backup's own name, not the copy's
            raise BackupError(str(error).replace(local, entry.file)) from None
    except BaseException:
        await remove_copy(server, place, local, quietly=True)
        raise
    await remove_copy(server, place, local)


@asynccontextmanager
async def plain_copy(
    server: Server, actx: AccessoryContext, entry: BackupEntry
) -> AsyncIterator[str]:
    """The backup's file name to restore or verify from: itself, or for an encrypted backup a
    decrypted copy beside it, removed afterwards."""
    if not entry.encrypted:
        yield entry.file
        return
    place = place_of(actx)
    if place.settings.encryption_key is None:
        raise BackupError(f"{server.host}: {entry.file} is encrypted; set its key as "
                          f"x-dockyard/backups/{actx.accessory.name}/encryption_key")  # fmt: skip
    plain = f".plain-{entry.file}"
    step = commands.decrypt_copy(actx.engine, actx.accessory.image, place, entry.file,
                                 key_file_of(actx), plain)  # fmt: skip
    try:
        async with saying(server, f"{entry.file} was not decrypted; nothing was changed"):
            await write_key(server, actx, place)
            result = await server.run(step, check=False, timeout=UNBOUNDED)  # as big as the data
    except BackupError:  # cut off: the copy may have been made
        await remove_copy(server, place, plain, quietly=True)
        raise
    if not result.ok:
        tail = " / ".join(result.stderr.strip().splitlines()[-2:]) or "no message"
        key = place.settings.encryption_key
        raise BackupError(f"{server.host}: {entry.file} cannot be decrypted with the key {key} "
                          f"({tail}); nothing was changed")  # fmt: skip
    try:
        yield plain
    except BaseException:
        await remove_copy(server, place, plain, quietly=True)
        raise
    await remove_copy(server, place, plain)


async def check_sum(
    server: Server, place: commands.BackupPlace, entry: BackupEntry,
    *, beside_work: bool = False,
) -> None:  # fmt: skip
    """The file is what the backup wrote: same sha256 (a truncated or damaged file is not)."""
    try:
        step = commands.checksum(place, entry.file, beside_work=beside_work)
        out = (await server.run(step, timeout=UNBOUNDED)).stdout
    except CommandFailed as error:
        why = str(error).removeprefix(f"{server.host}: ")
        raise BackupError(
            f"{server.host}: cannot read {entry.file}: {why}; nothing was changed"
        ) from None
    if parse_sha256sum(out) != entry.sha256:
        raise BackupError(
            f"{server.host}: {entry.file} is damaged or truncated (its sha256 differs from the one "
            "recorded when it was made); nothing was changed, use another backup"
        )


class CopyLeft(BackupError):
    """A copy that stays beside the backups; it says nothing of the data (the caller does)."""


async def remove_copy(
    server: Server, place: commands.BackupPlace, file: str, *, quietly: bool = False
) -> None:
    """Remove a copy made beside the backups; one that stays is an error (unless `quietly`,
    when another error is on its way)."""
    remove = commands.remove_file(place, file)
    try:
        result = await server.run(remove, check=False)
        why = "" if result.ok else last_line(result.stderr)
    except DockyardError as error:
        why = str(error).removeprefix(f"{server.host}: ")
    if why and not quietly:
        raise CopyLeft(f"{server.host}: {file} was left beside the backups ({why}); remove it: "
                          f"{remove.render()}")  # fmt: skip


@asynccontextmanager
async def saying(server: Server, where: str) -> AsyncIterator[None]:
    """A step's own failure (a command, a lost connection, no answer) as a BackupError that
    says `where` the data is; a BackupError or AccessoryError says that itself (a copy left
    behind does not: `where` is added)."""
    try:
        yield
    except CopyLeft as error:
        raise CopyLeft(f"{error}; {where}") from error
    except (BackupError, AccessoryError):
        raise
    except DockyardError as error:
        cause = str(error).removeprefix(f"{server.host}: ")
        raise BackupError(f"{server.host}: {cause}; {where}") from error
