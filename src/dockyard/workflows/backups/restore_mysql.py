"""Restore a MySQL/MariaDB backup: it must end the way a whole dump does, and with other sessions
connected it refuses unless `force` disconnects them. The data as it is now is kept first: a
database of only tables has them moved into `<db>__before_restore_<stamp>` by one RENAME TABLE;
one with views, triggers, routines or events (which cannot move between databases) is dumped
beside the backups as `<service>-before-restore-<stamp>.sql`. Only then is the database emptied
and the backup loaded; a load that fails puts the kept data back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dockyard.commands import backup as commands
from dockyard.commands.base import Cmd
from dockyard.errors import DockyardError
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups.backup import BackupError, place_of
from dockyard.workflows.backups.copies import saying
from dockyard.workflows.backups.restore_common import stamp, tail
from dockyard.workflows.server import Server


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
    async with saying(server, "nothing was changed"):
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
                          f"({tail(asked.stderr)}); "
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
        own in between is fine). A step cut off (the connection lost, no answer) raises."""
        kills = [f"KILL CONNECTION {s}" for s in self.sessions]
        done = await self.server.run(self.sql(*kills, *statements), check=False)
        if not done.ok and kills and "Unknown thread" in done.stderr:
            done = await self.server.run(self.sql(*statements), check=False)
        self.sessions = []
        return done.ok, tail(done.stderr)

    async def tried(self, step: Awaitable[tuple[bool, str]]) -> tuple[bool, str]:
        """A step after the data moved: cut off, it failed (what follows puts the data back)."""
        try:
            return await step
        except DockyardError as error:
            return False, str(error).removeprefix(f"{self.server.host}: ")

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
        return loaded.ok, tail(loaded.stderr)

    async def move_aside(self, tables: list[str]) -> str | None:
        """A new database holding the live tables (one atomic RENAME TABLE), or None when that
        cannot be done (nothing changed then)."""
        kept = f"{self.db}__before_restore_{stamp()}"
        create = self.empty(kept)[1]
        try:
            ok, _ = await self.run_killing(create, self.rename(tables, self.db, kept))
        except DockyardError as error:  # the RENAME may have been done: nothing may be dropped
            cause = str(error).removeprefix(f"{self.server.host}: ")
            raise BackupError(f"{self.server.host}: moving the tables of {self.db} into {kept} "
                              f"was cut off ({cause}); they are in one or the other, nothing "
                              "was changed beyond that") from error  # fmt: skip
        if ok:
            return kept
        drop_if_empty = self.sql(f"DROP DATABASE IF EXISTS `{_my_id(kept)}`")  # RENAME is atomic
        await self.tried(self._ok(drop_if_empty))
        return None

    async def _ok(self, step: Cmd) -> tuple[bool, str]:
        done = await self.server.run(step, check=False)
        return done.ok, tail(done.stderr)

    async def load_after_move(self, file: str, kept: str, tables: list[str]) -> str:
        ok, why = await self.tried(self.load(file))
        if ok:
            return f"{file} restored into {self.db}; the data before is kept as database {kept}"
        back = self.sql(*self.empty(self.db), self.rename(tables, kept, self.db),
                        f"DROP DATABASE `{_my_id(kept)}`")  # fmt: skip
        put_back, _ = await self.tried(self._ok(back))
        where = "was put back as it was" if put_back else f"is kept as database {kept}"
        raise BackupError(f"{self.server.host}: {file} did not load ({why}); the data of {self.db} "
                          f"{where}")  # fmt: skip

    async def load_after_dump(self, file: str) -> str:
        engine, container, place = self.actx.engine, self.actx.name, place_of(self.actx)
        kept = f"{place.prefix}-before-restore-{stamp()}.sql"
        keep = commands.mysql_keep_aside(engine, container, self.user, self.db, place, kept)
        async with saying(self.server, "nothing was changed"):
            kept_result = await self.server.run(keep, check=False, timeout=UNBOUNDED)
        if not kept_result.ok:
            why = tail(kept_result.stderr)
            raise BackupError(f"{self.server.host}: cannot keep database {self.db} aside before "
                              f"the restore ({why}); nothing was changed")  # fmt: skip
        emptied, why = await self.tried(self.run_killing(*self.empty(self.db)))
        if emptied:
            loaded, why = await self.tried(self.load(file))
            if loaded:
                return (f"{file} restored into {self.db}; the data before is kept as {kept} "
                        "beside the backups")  # fmt: skip
        back = (await self.tried(self.run_killing(*self.empty(self.db))))[0] and (
            await self.tried(self.load(kept))
        )[0]
        where = "was put back as it was" if back else f"may be partly loaded; it is in {kept}"
        raise BackupError(f"{self.server.host}: {file} did not load ({why}); database {self.db} "
                          f"{where} (beside the backups)")  # fmt: skip


def _my_id(name: str) -> str:
    return name.replace("`", "``")


def _my_lit(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "''")
