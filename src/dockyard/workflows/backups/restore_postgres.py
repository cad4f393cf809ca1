"""Restore a Postgres backup: the dump loads into a new database beside the live one; only when it
loaded whole are the two swapped by renaming, and the old data is kept as
`<db>__before_restore_<stamp>`. A failed load drops the new database and leaves the live one as it
was. With other sessions connected (a running app) it refuses unless `force` disconnects them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable

from dockyard.commands import backup as commands
from dockyard.commands.base import Cmd
from dockyard.errors import DockyardError
from dockyard.facts.backup import BackupEntry
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups.backup import BackupError, place_of, read_listing
from dockyard.workflows.backups.copies import check_sum, pick, plain_copy, saying
from dockyard.workflows.backups.restore_common import stamp
from dockyard.workflows.server import Server

SWAP_TRIES = 10


def postgres_names(actx: AccessoryContext) -> tuple[str, str]:
    """(user, database) the way the backup script picks them."""
    settings = place_of(actx).settings
    env = {**actx.accessory.env.clear, **actx.secret_env()}
    user = settings.user or env.get("POSTGRES_USER") or "postgres"
    return user, settings.database or env.get("POSTGRES_DB") or user


async def restore_postgres(
    server: Server,
    actx: AccessoryContext,
    name: str | None,
    force: bool,
    given: BackupEntry | None = None,
) -> str:
    """The listing (unless the backup is `given`: one fetched from a store) and the preparation
    (the session check, the empty target database) at the same time; then the load, with the
    checksum read beside it (the swap waits for both, so a damaged file still changes nothing).
    An encrypted backup is checked and decrypted first."""
    _, db = postgres_names(actx)
    incoming = f"{db}__restoring"

    async def chosen() -> BackupEntry:
        return (
            given
            if given is not None
            else pick(await read_listing(server, actx), name, server.host)
        )

    async with saying(server, f"database {db} is as it was"):
        entry = await load_beside(server, actx, incoming, chosen(), force)
    kept = f"{db}__before_restore_{stamp()}"
    await swap_databases(server, actx, db, incoming, kept)
    return f"{entry.file} restored into {db}; the data before is kept as database {kept}"


async def load_beside(
    server: Server,
    actx: AccessoryContext,
    incoming: str,
    chosen: Awaitable[BackupEntry],
    force: bool,
) -> BackupEntry:
    """The chosen backup loaded into the database `incoming`, beside the live one; on any
    failure the loaded database is dropped (the live one was never touched)."""
    place = place_of(actx)
    found, prepared = await asyncio.gather(
        chosen, prepare_postgres(server, actx, incoming, force), return_exceptions=True
    )
    if isinstance(prepared, BaseException):
        raise prepared
    try:
        if isinstance(found, BaseException):
            raise found
        entry = found
        if entry.encrypted:
            await check_sum(server, place, entry)
            async with plain_copy(server, actx, entry) as file:
                await load_postgres(server, actx, file, incoming)
        else:

            async def checked() -> None:
                await check_sum(server, place, entry, beside_work=True)

            await load_postgres(server, actx, entry.file, incoming, checked)
    except BaseException:
        with contextlib.suppress(DockyardError):  # the error on its way says more
            await server.run(_drop(actx, incoming), check=False)
        raise
    return entry


def _drop(actx: AccessoryContext, database: str) -> Cmd:
    user = postgres_names(actx)[0]
    return commands.psql(actx.engine, actx.name, user, "postgres",
                         f'DROP DATABASE IF EXISTS "{_id(database)}"')  # fmt: skip


async def prepare_postgres(
    server: Server, actx: AccessoryContext, incoming: str, force: bool
) -> None:
    """One psql: refuse while other sessions use the database (a scheduled pg_dump is not the
    app: the swap cuts it off and it records a failure), then make the empty target."""
    user, db = postgres_names(actx)
    check = (f"DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM pg_stat_activity "
             f"WHERE datname = '{_lit(db)}' AND pid <> pg_backend_pid() AND application_name "
             f"<> 'pg_dump'; IF n > 0 AND NOT {'true' if force else 'false'} THEN RAISE "
             f"EXCEPTION 'dockyard: % session(s) connected', n; END IF; END $$")  # fmt: skip
    prepare = commands.psql(actx.engine, actx.name, user, "postgres", check,
                            f'DROP DATABASE IF EXISTS "{_id(incoming)}"',
                            f'CREATE DATABASE "{_id(incoming)}"')  # fmt: skip
    prepared = await server.run(prepare, check=False)
    if not prepared.ok:
        found = re.search(r"dockyard: (\d+) session", prepared.stderr)
        if found:
            raise BackupError(
                f"{server.host}: {found[1]} session(s) are connected to database {db} (is the app "
                "running?); nothing was changed: stop the app (`dockyard app stop`) or pass "
                "--force to disconnect them"
            )
        raise BackupError(f"{server.host}: cannot prepare the restore ({prepared.stderr.strip()}); "
                          f"database {db} is as it was")  # fmt: skip


async def load_postgres(
    server: Server,
    actx: AccessoryContext,
    file: str,
    incoming: str,
    checked: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """pg_restore into the prepared database, with `checked` beside it; on a failure the caller
    drops the prepared database, and the live one is as it was."""
    user, db = postgres_names(actx)
    path = place_of(actx).path(file)
    load = commands.pg_restore_from_host(actx.engine, actx.name, user, incoming, path)
    check_done, loaded = await asyncio.gather(
        checked() if checked else asyncio.sleep(0),
        server.run(load, check=False, timeout=UNBOUNDED),
        return_exceptions=True,
    )
    if isinstance(check_done, BaseException):
        raise check_done
    if isinstance(loaded, BaseException):
        raise loaded
    if not loaded.ok:
        tail = " / ".join(loaded.stderr.strip().splitlines()[-2:])
        raise BackupError(
            f"{server.host}: {file} did not load ({tail}); database {db} is as it was"
        )


async def swap_databases(
    server: Server, actx: AccessoryContext, db: str, incoming: str, kept: str
) -> None:
    """Disconnect the live database's sessions, then rename both in one transaction (both
    renames or neither); a session that is slow to leave gets a few more tries."""
    user = postgres_names(actx)[0]
    terminate = (f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname "
                 f"= '{_lit(db)}' AND pid <> pg_backend_pid()")  # fmt: skip
    # two statements in one -c string run as one transaction: both renames or neither
    swap = (f'ALTER DATABASE "{_id(db)}" RENAME TO "{_id(kept)}"; '
            f'ALTER DATABASE "{_id(incoming)}" RENAME TO "{_id(db)}"')  # fmt: skip
    both = commands.psql(actx.engine, actx.name, user, "postgres", terminate, swap)
    for _ in range(SWAP_TRIES):
        try:
            result = await server.run(both, check=False)
        except DockyardError as error:
            cause = str(error).removeprefix(f"{server.host}: ")
            raise BackupError(
                f"{server.host}: the swap of {incoming} and {db} was cut off ({cause}): {db} is "
                f"either as it was, with the restored data in {incoming}, or the restored data, "
                f"with the data before kept as database {kept} (`psql -l` in the accessory tells "
                "which)"
            ) from error
        if result.ok:
            return
        await asyncio.sleep(0.5)
    raise BackupError(
        f"{server.host}: the backup loaded into database {incoming}, but renaming it to {db} "
        f"failed ({result.stderr.strip()}); {db} is as it was and {incoming} holds the restored "
        "data"
    )


def _id(name: str) -> str:
    return name.replace('"', '""')


def _lit(text: str) -> str:
    return text.replace("'", "''")
