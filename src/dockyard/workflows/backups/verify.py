"""Prove a backup restores: load it into a throwaway container, check it, remove the container.

Postgres: the file's sha256 matches its manifest; pg_restore loads it whole (--exit-on-error)
into a fresh server; every table the dump holds data for exists with exactly the rows the dump
recorded (counted from the dump's own COPY data). Redis: redis-check-rdb passes and a fresh
redis-server loads it (its key count is reported).
"""

from __future__ import annotations

import contextlib
import secrets as tokens
import time
from dataclasses import replace

from dockyard.commands import backup as commands
from dockyard.commands.base import Cmd, Raw, cmd
from dockyard.errors import CommandFailed, DockyardError
from dockyard.facts.backup import BackupEntry, count_differences, parse_table_counts
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext, failing
from dockyard.workflows.backups.backup import BackupError, last_line, place_of, read_listing
from dockyard.workflows.backups.copies import CopyLeft, check_sum, fetched, pick, plain_copy
from dockyard.workflows.server import Server

VERIFY_USER = "verify"


async def verify(server: Server, actx: AccessoryContext, name: str | None) -> str:
    """Verify the backup `name` (None: the newest); a failure names the accessory, and leaves no
    throwaway container and no copy behind (or says which, and how to remove it)."""
    async with failing(server, actx.accessory.name, "verifying"):
        chosen = pick(await read_listing(server, actx), name, server.host)
        try:
            async with fetched(server, actx, chosen) as entry:  # from the store, if S3
                done = await verify_file(server, actx, entry)
        except DockyardError as error:
            await _record_failure(server, actx, f"failed {chosen.file}: {error}")
            raise
        await _record(server, actx, f"ok {chosen.file}", chosen.file)
        return done.replace(entry.file, chosen.file)


async def _record(server: Server, actx: AccessoryContext, result: str, file: str) -> None:
    """A passed verify in .last-verify, which `details` reads (verify_every)."""
    try:
        await server.run(commands.record_verify(place_of(actx), f"{int(time.time())} {result}"))
    except DockyardError as error:
        raise BackupError(f"{server.host}: {file} verified, but the result could not be "
                          f"recorded for `details`: {error}; verify again") from error  # fmt: skip


async def _record_failure(server: Server, actx: AccessoryContext, result: str) -> None:
    """A failed verify in .last-verify, best effort: the verify's own error is what is said."""
    with contextlib.suppress(DockyardError):
        await server.run(commands.record_verify(place_of(actx), f"{int(time.time())} {result}"))


async def verify_file(server: Server, actx: AccessoryContext, entry: BackupEntry) -> str:
    """Verify a backup file in the backup directory."""
    place = place_of(actx)
    await check_sum(server, place, entry)
    throwaway = f"{actx.name}-verify-{tokens.token_hex(4)}"
    async with plain_copy(server, actx, entry) as file:
        try:
            detail = await verify_kind(server, actx, replace(entry, file=file), throwaway)
        except DockyardError as error:  # said with the backup's own name, not its copy's
            left = await remove_throwaway(server, actx, throwaway)
            raise BackupError(f"{error}{left}".replace(file, entry.file)) from error
        except BaseException:  # interrupted: the throwaway goes all the same
            await remove_throwaway(server, actx, throwaway)
            raise
        left = await remove_throwaway(server, actx, throwaway)
        if left:
            raise CopyLeft(f"{server.host}: {entry.file} verified{left}")
    sealed = " (encrypted; decrypted with its key)" if entry.encrypted else ""
    return f"{entry.file} verified{sealed}: {detail}".replace(file, entry.file)


async def verify_kind(
    server: Server, actx: AccessoryContext, plain: BackupEntry, throwaway: str
) -> str:
    kind, file = place_of(actx).settings.kind, plain.file
    if kind == "postgres":
        return await verify_postgres(server, actx, file, throwaway)
    if kind == "mysql":
        return await verify_mysql(server, actx, file, throwaway)
    if kind == "volume":
        return await verify_volume(server, actx, plain, throwaway)
    return await verify_redis(server, actx, file, throwaway)


async def remove_throwaway(server: Server, actx: AccessoryContext, throwaway: str) -> str:
    """ "" once the throwaway container is gone, else what is left and how to remove it."""
    remove = commands.remove_container(actx.engine, throwaway)
    try:
        result = await server.run(remove, check=False)
        why = "" if result.ok else last_line(result.stderr)
    except DockyardError as error:
        why = str(error).removeprefix(f"{server.host}: ")
    return (
        f"; the throwaway container {throwaway} is left ({why}): {remove.render()}" if why else ""
    )


async def _must(server: Server, step: Cmd | Raw, what: str, file: str,
                *, timeout: float | None = None) -> str:  # fmt: skip
    try:
        return (await server.run(step, timeout=timeout)).stdout
    except CommandFailed as error:
        tail = " / ".join(error.result.stderr.strip().splitlines()[-3:]) or "no message"
        raise BackupError(f"{server.host}: verify FAILED for {file}: {what} ({tail})") from None


async def verify_postgres(server: Server, actx: AccessoryContext, file: str, throwaway: str) -> str:
    engine, place = actx.engine, place_of(actx)
    env = {"POSTGRES_USER": VERIFY_USER, "POSTGRES_PASSWORD": tokens.token_hex(12),
           "POSTGRES_DB": VERIFY_USER}  # fmt: skip
    await _must(
        server,
        commands.run_throwaway(engine, throwaway, actx.accessory.image, place, env),
        "the throwaway did not start",
        file,
    )
    await _must(server, commands.wait_ready_postgres(engine, throwaway),
                "the throwaway Postgres did not become ready", file)  # fmt: skip
    recorded = parse_table_counts(await _must(server, commands.dump_row_counts(
        engine, throwaway, file), "the dump cannot be read", file,
        timeout=UNBOUNDED))  # fmt: skip
    restore = cmd(engine.name, "exec", throwaway, "pg_restore", "--exit-on-error", "--no-owner",
                  "--no-acl", "-U", VERIFY_USER, "-d", VERIFY_USER, f"/backups/{file}")  # fmt: skip
    await _must(server, restore, "the dump does not load", file, timeout=UNBOUNDED)
    restored = parse_table_counts(await _must(server, commands.table_counts(
        engine, throwaway, VERIFY_USER, VERIFY_USER), "cannot count the rows", file))  # fmt: skip
    problems = count_differences(recorded, restored)
    if problems:
        raise BackupError(f"{server.host}: verify FAILED for {file}: " + "; ".join(problems[:5]))
    rows = sum(recorded.values())
    return f"loaded into a throwaway Postgres; {len(recorded)} table(s), {rows} row(s) match"


async def verify_mysql(server: Server, actx: AccessoryContext, file: str, throwaway: str) -> str:
    engine, place = actx.engine, place_of(actx)
    password = tokens.token_hex(12)
    env = {"MARIADB_ROOT_PASSWORD": password, "MYSQL_ROOT_PASSWORD": password}
    started = commands.run_throwaway(engine, throwaway, actx.accessory.image, place, env)
    await _must(server, started, "the throwaway did not start", file)
    recorded = parse_table_counts(await _must(server, commands.mysql_dump_counts(
        engine, throwaway, file), "the dump cannot be read", file,
        timeout=UNBOUNDED))  # fmt: skip
    await _must(server, commands.wait_ready_mysql(engine, throwaway),
                "the throwaway MySQL did not become ready", file)  # fmt: skip
    create = commands.throwaway_mysql(engine, throwaway, "-e", f"CREATE DATABASE {VERIFY_USER}")
    await _must(server, create, "cannot create the database to load into", file)
    load = commands.throwaway_mysql_load(engine, throwaway, VERIFY_USER, file)
    await _must(server, load, "the dump does not load", file, timeout=UNBOUNDED)
    ask = commands.throwaway_mysql(engine, throwaway, "-e", commands.MY_TABLE_COUNTS_SQL,
                                   VERIFY_USER)  # fmt: skip
    query = (await _must(server, ask, "cannot list the tables", file)).strip()
    restored: dict[str, int] = {}
    if query and query != "NULL":
        count = commands.throwaway_mysql(engine, throwaway, "-e", query, VERIFY_USER)
        out = await _must(server, count, "cannot count the rows", file)
        restored = parse_table_counts(out.replace("\t", " "))
    problems = count_differences(recorded, restored)
    if problems:
        raise BackupError(f"{server.host}: verify FAILED for {file}: " + "; ".join(problems[:5]))
    rows = sum(recorded.values())
    return f"loaded into a throwaway MySQL; {len(recorded)} table(s), {rows} row(s) match"


async def verify_redis(server: Server, actx: AccessoryContext, file: str, throwaway: str) -> str:
    engine, place = actx.engine, place_of(actx)
    await _must(server, commands.run_throwaway(
        engine, throwaway, actx.accessory.image, place, {},
        ["sh", "-c", "mkdir -p /tmp/r && cp /backups/$0 /tmp/r/dump.rdb && "
         "exec redis-server --dir /tmp/r --port 6379 --save ''", file],
    ), "the throwaway did not start", file)  # fmt: skip
    await _must(server, commands.check_rdb(engine, throwaway, file),
                "redis-check-rdb rejects it", file, timeout=UNBOUNDED)  # fmt: skip
    wait = Raw(
        "i=0; until "
        + cmd(engine.name, "exec", throwaway, "redis-cli", "ping").render()
        + " 2>/dev/null | grep -q PONG; do i=$((i+1)); [ $i -ge 120 ] && exit 1; sleep 0.25; done"
    )
    await _must(server, wait, "the throwaway Redis did not load it", file)
    count = cmd(engine.name, "exec", throwaway, "redis-cli", "dbsize")
    keys = await _must(server, count, "cannot count keys", file)
    return f"loaded into a throwaway Redis; {keys.strip()} key(s)"


async def verify_volume(
    server: Server, actx: AccessoryContext, entry: BackupEntry, throwaway: str
) -> str:
    engine, place, file = actx.engine, place_of(actx), entry.file
    await _must(server, commands.run_throwaway(
        engine, throwaway, actx.accessory.image, place, {}, ["sleep", "3600"],
    ), "the throwaway did not start", file)  # fmt: skip
    out = await _must(server, commands.volume_entries(engine, throwaway, file),
                      "the archive does not unpack", file, timeout=UNBOUNDED)  # fmt: skip
    found = int(out.strip() or 0)
    if found != entry.entries:
        raise BackupError(f"{server.host}: verify FAILED for {file}: {found} entries unpacked, the "
                          f"backup recorded {entry.entries}")  # fmt: skip
    return f"unpacked whole in a throwaway container; {found} entries match"
