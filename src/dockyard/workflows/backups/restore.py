"""Restore a backup into its accessory, losing nothing.

Postgres: the dump loads into a new database beside the live one; only when it loaded whole are
the two swapped by renaming, and the old data is kept as `<db>__before_restore_<stamp>`. A failed
load drops the new database and leaves the live one as it was. With other sessions connected
(a running app) it refuses unless `force` disconnects them.

MySQL/MariaDB: the backup must end the way a whole dump does, and with other sessions connected
it refuses unless `force` disconnects them. The data as it is now is kept first: a database of
only tables has them moved into `<db>__before_restore_<stamp>` by one RENAME TABLE; one with
views, triggers, routines or events (which cannot move between databases) is dumped beside the
backups as `<service>-before-restore-<stamp>.sql`. Only then is the database emptied and the
backup loaded; a load that fails puts the kept data back.

Redis: the accessory is stopped (it saves), its dump.rdb is kept as
`dump.rdb.before-restore-<stamp>`, the backup takes its place and the accessory starts again.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dockyard.commands import backup as commands
from dockyard.commands.base import Cmd, cmd
from dockyard.facts.backup import BackupEntry
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.lifecycle import AccessoryContext
from dockyard.workflows.backups.backup import (
    BackupError,
    check_sum,
    fetched,
    listing,
    pick,
    place_of,
    plain_copy,
)
from dockyard.workflows.server import Server

SWAP_TRIES = 10


def postgres_names(actx: AccessoryContext) -> tuple[str, str]:
    """(user, database) the way the backup script picks them."""
    settings = place_of(actx).settings
    env = {**actx.accessory.env.clear, **actx.secret_env()}
    user = settings.user or env.get("POSTGRES_USER") or "postgres"
    return user, settings.database or env.get("POSTGRES_DB") or user


def stamp() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())


async def restore(server: Server, actx: AccessoryContext, name: str | None, force: bool) -> str:
    place = place_of(actx)
    if place.settings.kind == "postgres" and place.settings.s3 is None:
        return await restore_postgres(server, actx, name, force)  # lists it itself
    chosen = pick(await listing(server, actx), name, server.host)
    async with fetched(server, actx, chosen) as entry:  # from the store, if S3
        done = await restore_file(server, actx, entry, force)
    return done.replace(entry.file, chosen.file)


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
    await checked()
    async with plain_copy(server, actx, entry) as file:
        if place.settings.kind == "mysql":
            done = await restore_mysql(server, actx, file, force)
        elif place.settings.kind == "volume":
            done = await restore_volume(server, actx, file)
        else:
            done = await restore_redis(server, actx, file)
    return done.replace(file, entry.file)


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
    place = place_of(actx)
    _, db = postgres_names(actx)
    incoming = f"{db}__restoring"

    async def chosen() -> BackupEntry:
        return given if given is not None else pick(await listing(server, actx), name, server.host)

    found, prepared = await asyncio.gather(
        chosen(),
        prepare_postgres(server, actx, incoming, force),
        return_exceptions=True,
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
        await server.run(_drop(actx, incoming), check=False)
        raise
    kept = f"{db}__before_restore_{stamp()}"
    await swap_databases(server, actx, db, incoming, kept)
    return f"{entry.file} restored into {db}; the data before is kept as database {kept}"


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
        result = await server.run(both, check=False)
        if result.ok:
            return
        await asyncio.sleep(0.5)
    raise BackupError(
        f"{server.host}: the backup loaded into database {incoming}, but renaming it to {db} "
        "failed "
        f"({result.stderr.strip()}); {db} is as it was and {incoming} holds the restored data"
    )


def mysql_names(actx: AccessoryContext) -> tuple[str, str]:
    """(user, database) the way the backup script picks them."""
    settings = place_of(actx).settings
    env = {**actx.accessory.env.clear, **actx.secret_env()}
    database = settings.database or env.get("MARIADB_DATABASE") or env.get("MYSQL_DATABASE")
    if not database:
        raise BackupError(f"no database to restore into: set MARIADB_DATABASE (or MYSQL_DATABASE) "
                          f"in the accessory's env, or x-dockyard/backups/{actx.accessory.name}/"
                          "database")  # fmt: skip
    return settings.user or "root", database


async def restore_mysql(
    server: Server,
    actx: AccessoryContext,
    file: str,
    force: bool,
    checked: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """The checks (`checked`, the dump's last line, the sessions) at the same time, then the
    current data aside: its tables moved into a new database by one RENAME TABLE when the
    database holds nothing but tables (and the user may create a database), else dumped beside
    the backups; then the backup loads into the emptied database."""
    engine, container, place = actx.engine, actx.name, place_of(actx)
    user, db = mysql_names(actx)
    lit = _my_lit(db)
    ask = commands.mysql_sql(engine, container, user,
        "SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE DB = "
        f"'{lit}' AND ID <> CONNECTION_ID()",
        "SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM "
        f"information_schema.SCHEMATA WHERE SCHEMA_NAME = '{lit}'",
        f"SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{lit}')"
        f" + (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{lit}')"
        f" + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{lit}')"
        f" + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{lit}')",
        "SELECT JSON_ARRAYAGG(TABLE_NAME) FROM information_schema.TABLES WHERE "
        f"TABLE_SCHEMA = '{lit}' AND TABLE_TYPE = 'BASE TABLE'")  # fmt: skip
    check_done, whole, asked = await asyncio.gather(
        checked() if checked else asyncio.sleep(0),
        server.run(commands.mysql_dump_complete(place, file), check=False),
        server.run(ask, check=False),
        return_exceptions=True,
    )
    if isinstance(check_done, BaseException):
        raise check_done
    if isinstance(whole, BaseException):
        raise whole
    if isinstance(asked, BaseException):
        raise asked
    if not whole.ok:
        raise BackupError(f"{server.host}: {file} is incomplete (it does not end with `-- Dump "
                          "completed`); nothing was changed, use another backup")  # fmt: skip
    if not asked.ok:
        raise BackupError(f"{server.host}: cannot reach {db} in {container} "
                          f"({_tail(asked.stderr)}); "
                          "nothing was changed")  # fmt: skip
    lines = [*asked.stdout.splitlines(), "", "", "", ""]
    sessions = [s for s in lines[0].split(",") if s.strip().isdigit()]
    charset = lines[1].split() or ["utf8mb4"]
    others = int(lines[2]) if lines[2].strip().isdigit() else 1
    tables = [str(t) for t in json.loads(lines[3])] if lines[3].startswith("[") else []
    if sessions and not force:
        raise BackupError(
            f"{server.host}: {len(sessions)} session(s) are connected to database {db} (is the app "
            "running?); nothing was changed: stop the app (`dockyard app stop`) or pass "
            "--force to disconnect them"
        )
    mysql = _MySQL(server, actx, user, db, charset, sessions)
    if tables and not others:
        moved = await mysql.move_aside(tables)
        if moved:
            return await mysql.load_after_move(file, moved, tables)
    return await mysql.load_after_dump(file)


@dataclass
class _MySQL:
    """One MySQL/MariaDB restore's steps; `sessions` are killed by the first step that changes
    anything."""

    server: Server
    actx: AccessoryContext
    user: str
    db: str
    charset: list[str]
    sessions: list[str]

    def sql(self, *statements: str) -> Cmd:
        return commands.mysql_sql(self.actx.engine, self.actx.name, self.user, *statements)

    async def run_killing(self, *statements: str) -> tuple[bool, str]:
        """The statements after disconnecting the sessions (once; a session that left on its
        own in between is fine)."""
        kills = [f"KILL CONNECTION {s}" for s in self.sessions]
        done = await self.server.run(self.sql(*kills, *statements), check=False)
        if not done.ok and kills and "Unknown thread" in done.stderr:
            done = await self.server.run(self.sql(*statements), check=False)
        self.sessions = []
        return done.ok, _tail(done.stderr)

    def empty(self, database: str) -> list[str]:
        collate = f" COLLATE {self.charset[1]}" if len(self.charset) > 1 else ""
        return [f"DROP DATABASE IF EXISTS `{_my_id(database)}`",
                f"CREATE DATABASE `{_my_id(database)}` CHARACTER SET {self.charset[0]}"
                f"{collate}"]  # fmt: skip

    def rename(self, tables: list[str], source: str, target: str) -> str:
        moves = [f"`{_my_id(source)}`.`{_my_id(t)}` TO `{_my_id(target)}`.`{_my_id(t)}`"
                 for t in tables]  # fmt: skip
        return "RENAME TABLE " + ", ".join(moves)

    async def load(self, source: str) -> tuple[bool, str]:
        place = place_of(self.actx)
        path = commands.host_path(place, source)
        load = commands.mysql_load_from_host(self.actx.engine, self.actx.name, self.user, self.db,
                                             path)  # fmt: skip
        loaded = await self.server.run(load, check=False, timeout=UNBOUNDED)
        return loaded.ok, _tail(loaded.stderr)

    async def move_aside(self, tables: list[str]) -> str | None:
        """A new database holding the live tables (one atomic RENAME TABLE), or None when that
        cannot be done (nothing changed then)."""
        kept = f"{self.db}__before_restore_{stamp()}"
        create = self.empty(kept)[1]
        ok, _ = await self.run_killing(create, self.rename(tables, self.db, kept))
        if ok:
            return kept
        drop_if_empty = self.sql(f"DROP DATABASE IF EXISTS `{_my_id(kept)}`")
        await self.server.run(drop_if_empty, check=False)
        return None

    async def load_after_move(self, file: str, kept: str, tables: list[str]) -> str:
        ok, why = await self.load(file)
        if ok:
            return f"{file} restored into {self.db}; the data before is kept as database {kept}"
        back = self.sql(*self.empty(self.db), self.rename(tables, kept, self.db),
                        f"DROP DATABASE `{_my_id(kept)}`")  # fmt: skip
        put_back = (await self.server.run(back, check=False)).ok
        where = "was put back as it was" if put_back else f"is kept as database {kept}"
        raise BackupError(f"{self.server.host}: {file} did not load ({why}); the data of {self.db} "
                          f"{where}")  # fmt: skip

    async def load_after_dump(self, file: str) -> str:
        engine, container, place = self.actx.engine, self.actx.name, place_of(self.actx)
        kept = f"{place.prefix}-before-restore-{stamp()}.sql"
        keep = commands.mysql_keep_aside(engine, container, self.user, self.db, place, kept)
        kept_result = await self.server.run(keep, check=False, timeout=UNBOUNDED)
        if not kept_result.ok:
            why = _tail(kept_result.stderr)
            raise BackupError(f"{self.server.host}: cannot keep database {self.db} aside before "
                              "the "
                              f"restore ({why}); nothing was changed")  # fmt: skip
        emptied, why = await self.run_killing(*self.empty(self.db))
        if emptied:
            loaded, why = await self.load(file)
            if loaded:
                return (f"{file} restored into {self.db}; the data before is kept as {kept} "
                        "beside the backups")  # fmt: skip
        back = (await self.run_killing(*self.empty(self.db)))[0] and (await self.load(kept))[0]
        where = "was put back as it was" if back else f"may be partly loaded; it is in {kept}"
        raise BackupError(f"{self.server.host}: {file} did not load ({why}); database {self.db} "
                          f"{where} (beside the backups)")  # fmt: skip


def _tail(stderr: str) -> str:
    return " / ".join(stderr.strip().splitlines()[-2:]) or "no message"


def _my_id(name: str) -> str:
    return name.replace("`", "``")


def _my_lit(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "''")


async def restore_redis(server: Server, actx: AccessoryContext, file: str) -> str:
    engine, container = actx.engine, actx.name
    place = place_of(actx)
    dir_out = await server.run(commands.redis_cli(engine, container, "CONFIG", "GET",
                                                           "dir"))  # fmt: skip
    lines = dir_out.stdout.split()
    data_dir = lines[1] if len(lines) > 1 else "/data"
    aof = (await server.run(commands.redis_cli(
        engine, container, "CONFIG", "GET", "appendonly"))).stdout.split()  # fmt: skip
    if len(aof) > 1 and aof[1] == "yes":
        raise BackupError(f"{server.host}: {actx.name} uses appendonly (AOF), which would win "
                          "over a "
                          "restored RDB file; nothing was changed")  # fmt: skip
    when = stamp()
    await server.run(cmd(engine.name, "stop", container))
    try:
        await server.run(commands.redis_restore_files(
            engine, actx.accessory.image, container, place, file, data_dir, when),
            timeout=UNBOUNDED)  # fmt: skip
    finally:
        await server.run(cmd(engine.name, "start", container))
    return (f"{file} restored into {actx.name}; the data before is kept as "
            f"{data_dir}/dump.rdb.before-restore-{when}")  # fmt: skip


async def restore_volume(server: Server, actx: AccessoryContext, file: str) -> str:
    """Stop the accessory, archive what its directories hold aside, unpack, start again."""
    engine, container, place = actx.engine, actx.name, place_of(actx)
    kept = f"{place.prefix}-before-restore-{stamp()}.tar.gz"
    where = ", ".join(place.settings.paths)
    await server.run(cmd(engine.name, "stop", container))
    try:
        restore = commands.volume_restore_files(
            engine, actx.accessory.image, container, place, file, kept
        )
        result = await server.run(restore, check=False, timeout=UNBOUNDED)
    finally:
        await server.run(cmd(engine.name, "start", container))
    if result.exit_status == 3:
        raise BackupError(f"{server.host}: {result.stderr.strip()} ({where})")
    if not result.ok:
        raise BackupError(
            f"{server.host}: unpacking {file} failed ({result.stderr.strip()[-200:]}); {where} "
            "may hold "
            f"part of it; what was there before is in {kept} beside the backups"
        )
    return f"{file} restored into {where}; what was there before is kept as {kept}"


def _id(name: str) -> str:
    return name.replace('"', '""')


def _lit(text: str) -> str:
    return text.replace("'", "''")
