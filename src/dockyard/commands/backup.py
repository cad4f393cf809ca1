"""Commands for accessory backups (pure): the backup container, listing, restore and verify.

The backup container `<service>-backup` runs the accessory's own image (it has the dump tools)
with the accessory's env file, the backup directory at /backups and dockyard's scripts at
/dockyard (read-only). `accessory backup` runs the same script in it that the schedule runs.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands.backup_s3 import exec_script, s3_env
from dockyard.commands.backup_scripts import shell_sets
from dockyard.commands.base import Cmd, HomePath, Raw, Seq, any_of, cmd
from dockyard.config.backups import BackupSettings
from dockyard.config.settings import Accessory
from dockyard.engine import DOCKER, Engine

BACKUP_LABEL = "dockyard-backup"


@dataclass(frozen=True)
class BackupPlace:
    """Where one accessory's backups and scripts live on a host."""

    accessory: Accessory
    settings: BackupSettings

    @property
    def container(self) -> str:
        return f"{self.accessory.service_name}-backup"

    @property
    def prefix(self) -> str:
        return self.accessory.service_name

    @property
    def scripts_dir(self) -> str:
        """Relative to the home."""
        return f".dockyard/accessories/{self.accessory.service_name}"

    @property
    def directory(self) -> str | HomePath:
        if self.settings.directory:
            return self.settings.directory
        return HomePath(f".dockyard/backups/{self.accessory.service_name}")

    def path(self, file: str) -> str | HomePath:
        base = self.directory
        return HomePath(f"{base}/{file}") if isinstance(base, HomePath) else f"{base}/{file}"

    def mount(self, target: str, options: str = "") -> str:
        base = self.directory
        text = f"{base}:{target}{options}"
        return HomePath(text) if isinstance(base, HomePath) else text


def script_env(place: BackupPlace) -> dict[str, str]:
    s = place.settings
    env = {
        **place.accessory.env.clear,  # POSTGRES_USER and the like; secrets come in the env file
        "KIND": s.kind, "PREFIX": place.prefix, "EXT": s.extension, "KEEP": str(s.keep),
        "MAX_AGE": str(s.max_age_seconds or ""), "DB_HOST": place.accessory.service_name,
    }  # fmt: skip
    if s.paths:
        env["VOLUME_PATHS"] = " ".join(p.lstrip("/") for p in s.paths)
    names = ("MY_DB", "MY_USER") if s.kind == "mysql" else ("PG_DB", "PG_USER")
    if s.database:
        env[names[0]] = s.database
    if s.user:
        env[names[1]] = s.user
    if s.schedule:
        env.update(shell_sets(s.schedule))
    if s.verify_after_seconds is not None:
        env["VERIFY_AFTER"] = str(s.verify_after_seconds)
    if s.s3:
        env.update(s3_env(s.s3))
    return env


def key_env_file(app: str, name: str) -> str:
    """The backup key of an accessory, 0600, beside Kamal's env files (relative to the home)."""
    return f".kamal/apps/{app}/env/accessories/{name}-backup-key.env"


def run_backup_container(
    engine: Engine, place: BackupPlace, env_file: str | None, key_file: str | None = None
) -> Cmd:
    a = place.accessory
    return cmd(
        engine.name, "run", "--detach", "--restart", "unless-stopped", "--name", place.container,
        "--network", a.network, "--user", "0", "--entrypoint", "/bin/sh",
        *[x for k, v in script_env(place).items() for x in ("--env", f"{k}={v}")],
        *(["--env-file", HomePath(env_file)] if env_file else []),
        *(["--env-file", HomePath(key_file)] if key_file else []),
        *(["--volumes-from", f"{a.service_name}:ro"] if place.settings.kind == "volume" else []),
        "--volume", place.mount("/backups"),
        "--volume", HomePath(f"{place.scripts_dir}:/dockyard:ro"),
        "--label", f"service={a.service_name}", "--label", f"{BACKUP_LABEL}={a.name}",
        "--log-opt", "max-size=10m",
        a.image, "/dockyard/schedule.sh",
    )  # fmt: skip


def make_backup_dirs(place: BackupPlace) -> Cmd:
    return cmd("mkdir", "-p", place.directory, HomePath(place.scripts_dir))


def forget_setup(place: BackupPlace, key_file: str) -> Cmd:
    """The scripts directory and the key file (not the backups)."""
    return cmd("rm", "-rf", HomePath(place.scripts_dir), HomePath(key_file))


def backup_now(engine: Engine, place: BackupPlace, key_file: str | None = None) -> Cmd:
    """The scheduled script, now. With an S3 target, the store's settings and credentials are
    the config's as it is now (given to the exec), not the ones of the container's start."""
    s3 = place.settings.s3
    if s3 is None:
        return cmd(engine.name, "exec", place.container, "sh", "/dockyard/backup.sh")
    return exec_script(engine, place.container, s3_env(s3), key_file, "/dockyard/backup.sh")


def s3_script(engine: Engine, place: BackupPlace, key_file: str | None, *args: str) -> Cmd:
    """s3.sh (list, get FILE DEST) in the backup container, with the current settings."""
    assert place.settings.s3 is not None
    env = {
        "PREFIX": place.prefix,
        "EXT": place.settings.extension,
        "KEEP": str(place.settings.keep),
        "MAX_AGE": str(place.settings.max_age_seconds or ""),
        **s3_env(place.settings.s3),
    }
    return exec_script(engine, place.container, env, key_file, "/dockyard/s3.sh", *args)


def remove_backup_container(engine: Engine, place: BackupPlace) -> Seq:
    return any_of(cmd(engine.name, "rm", "--force", place.container), Raw("true"))


def list_backups(place: BackupPlace, engine: Engine = DOCKER, key_file: str | None = None) -> Raw:
    """Each manifest (one JSON line per backup), then the status files, marked. With an S3
    target the manifests come from the store (s3.sh list in the backup container) and the
    status files from the directory where backups are made."""
    d = place.directory
    base = f'"$HOME/{d}"' if isinstance(d, HomePath) else _single_quoted(d)
    ext = place.settings.extension
    status = (
        "for s in last-success last-failure last-verify; do "
        '[ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )
    if place.settings.s3:
        store = s3_script(engine, place, key_file, "list").render()
        return Raw(f"{store} || exit $?; cd {base} 2>/dev/null || exit 0; {status}")
    return Raw(
        f"cd {base} 2>/dev/null || exit 0; "
        f'for f in {place.prefix}-*.{ext}.json; do [ -f "$f" ] && cat "$f"; done; {status}'
    )


def record_verify(place: BackupPlace, line: str) -> Raw:
    """The last verify's result (`<unix seconds> ok|failed <file>[: why]`) in .last-verify of
    the backup directory, written whole (list_backups prints it)."""
    d = place.directory
    base = f'"$HOME/{d}"' if isinstance(d, HomePath) else _single_quoted(d)
    text = _single_quoted(line.replace("\n", " ")[:400])
    return Raw(f"cd {base} && printf '%s\\n' {text} > .last-verify.tmp && "
               "mv -f .last-verify.tmp .last-verify")  # fmt: skip


def checksum(place: BackupPlace, file: str, *, beside_work: bool = False) -> Raw:
    """The file's sha256 (openssl's where the host has it: a fifth of sha256sum's CPU time);
    `beside_work`: at the lowest CPU priority, so that reading it while a restore loads the same
    file takes no CPU from the load."""
    nice = "nice -n 19 " if beside_work else ""
    path = host_path(place, file)
    return Raw(f"if command -v openssl > /dev/null 2>&1; then {nice}openssl dgst -sha256 -r "
               f"{path}; else {nice}sha256sum {path}; fi")  # fmt: skip


# --- Postgres ----------------------------------------------------------------------------------
def psql(
    engine: Engine, container: str, user: str, database: str, *sql: str, atomic: bool = False
) -> Cmd:
    """psql in the container over its local socket, stopping at the first error; `atomic`
    runs every statement in one transaction."""
    args = [x for statement in sql for x in ("-c", statement)]
    return cmd(engine.name, "exec", container, "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
               *(["--single-transaction"] if atomic else []),
               "-U", user, "-d", database, *args)  # fmt: skip


def pg_restore_from_host(
    engine: Engine, container: str, user: str, database: str, backup: str | HomePath
) -> Raw:
    """The backup file on the host, streamed into pg_restore in the container."""
    source = f'"$HOME/{backup}"' if isinstance(backup, HomePath) else _single_quoted(backup)
    restore = cmd(engine.name, "exec", "-i", container, "pg_restore", "--exit-on-error",
                  "--no-owner", "--no-acl", "-U", user, "-d", database)  # fmt: skip
    return Raw(f"{restore.render()} < {source}")


def dump_row_counts(engine: Engine, container: str, file: str) -> Cmd:
    """`schema.table rows` for each table's data in a dump: what the dump recorded."""
    script = (
        f"pg_restore --data-only -f - {_in_backups(file)} | awk "
        "'/^COPY / {t=$2; n=0; inside=1; next} inside && /^\\\\\\.$/ {print t, n; inside=0; next} "
        "inside {n++}'"
    )
    return cmd(engine.name, "exec", container, "sh", "-c", script)


TABLE_COUNTS_SQL = (
    "SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I', "
    "quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1 \\gexec"
)


def table_counts(engine: Engine, container: str, user: str, database: str) -> Raw:
    """`schema.table rows` for every table in the database (psql's \\gexec)."""
    base = cmd(engine.name, "exec", "-i", container, "psql", "-X", "-q", "-At", "-v",
               "ON_ERROR_STOP=1", "-U", user, "-d", database)  # fmt: skip
    return Raw(f"echo {_single_quoted(TABLE_COUNTS_SQL)} | {base.render()}")


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _in_backups(file: str) -> str:
    """A file in the backup directory as the container sees it, quoted for its shell (a name
    comes from a manifest, which a store's other users can write)."""
    return _single_quoted(f"/backups/{file}")


def run_throwaway(
    engine: Engine, name: str, image: str, place: BackupPlace, env: Mapping[str, str],
    command: Sequence[str] = (),
) -> Cmd:  # fmt: skip
    """A container for verify: no network, the backups read-only at /backups."""
    return cmd(
        engine.name, "run", "--detach", "--name", name, "--network", "none",
        "--label", f"{BACKUP_LABEL}-verify={place.accessory.name}",
        *[x for k, v in env.items() for x in ("--env", f"{k}={v}")],
        "--volume", place.mount("/backups", ":ro"), image, *command,
    )  # fmt: skip


def wait_ready_postgres(engine: Engine, name: str, seconds: int = 60) -> Raw:
    probe = cmd(engine.name, "exec", name, "pg_isready", "-q", "-h", "127.0.0.1").render()
    return Raw(f"i=0; until {probe}; do i=$((i+1)); [ $i -ge {seconds * 4} ] && exit 1; "
               "sleep 0.25; done")  # fmt: skip


def remove_container(engine: Engine, name: str) -> Cmd:
    return cmd(engine.name, "rm", "--force", "--volumes", name)


# --- MySQL / MariaDB ---------------------------------------------------------------------------
# `my TOOL USER ARGS...`: mariadb's tool (or mysql's where it is missing) as USER, with its
# password from the container's env the way the official images name it
_MY_FN = (
    'my() { tool=$1; user=$2; shift 2; command -v "$tool" > /dev/null 2>&1 || '
    'tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/ -e s/mariadb/mysql/); '
    'if [ "$user" = root ]; then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
    'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; '
    'MYSQL_PWD="$p" "$tool" -u "$user" "$@"; }; '
)
MY_DUMP_OPTIONS = ("--single-transaction", "--quick", "--routines", "--triggers", "--events")


def mysql(engine: Engine, container: str, user: str, *args: str, stdin: bool = False,
          tool: str = "mariadb") -> Cmd:  # fmt: skip
    """The MySQL client (or dump tool) in the container, over its local socket."""
    return cmd(engine.name, "exec", *(["-i"] if stdin else []), container, "sh", "-c",
               _MY_FN + 'my "$@"', "sh", tool, user, *args)  # fmt: skip


def mysql_sql(engine: Engine, container: str, user: str, *sql: str, database: str = "") -> Cmd:
    """Statements, stopping at the first error; rows tab-separated without a header."""
    return mysql(engine, container, user, "-N", "-B", "-e", "; ".join(sql),
                 *([database] if database else []))  # fmt: skip


def mysql_keep_aside(engine: Engine, container: str, user: str, database: str,
                     place: BackupPlace, kept: str) -> Raw:  # fmt: skip
    """The database as it is now, dumped beside the backups as `kept` (exit 3: not kept)."""
    dump = mysql(engine, container, user, *MY_DUMP_OPTIONS, database, tool="mariadb-dump")
    partial, final = host_path(place, f".{kept}.partial"), host_path(place, kept)
    return Raw(f"{{ {dump.render()} > {partial} && mv {partial} {final}; }} || "
               f"{{ rm -f {partial}; exit 3; }}")  # fmt: skip


def mysql_load_from_host(engine: Engine, container: str, user: str, database: str,
                         file: str) -> Raw:  # fmt: skip
    """A dump file on the host (path as the shell reads it) into the database."""
    load = mysql(engine, container, user, database, stdin=True)
    return Raw(f"{load.render()} < {file}")


def mysql_dump_complete(place: BackupPlace, file: str) -> Raw:
    """Succeeds when the dump ends the way a whole dump does."""
    return Raw(f"tail -c 200 {host_path(place, file)} | grep -q '^-- Dump completed'")


def host_path(place: BackupPlace, file: str) -> str:
    d = place.directory
    if isinstance(d, HomePath):
        return f'"$HOME/{HomePath(f"{d}/{file}")}"'
    return _single_quoted(f"{d}/{file}")


# rows per table in a dump: in each INSERT (one line, or a line per row as MariaDB 10.11 writes
# it), escaped characters are removed (a quote in a string is \'), then string literals; what is
# left has one `),(` between rows on a line and ends each row line with `),` or the last with
# `);`. A CREATE TABLE with no INSERT is a table of 0 rows.
MY_DUMP_COUNTS_AWK = r"""
/^CREATE TABLE `/ { t = $3; gsub(/`/, "", t); if (!(t in n)) n[t] = 0; next }
/^INSERT INTO `/ { t = $3; gsub(/`/, "", t); inside = 1 }
inside {
  line = $0; gsub(/\\./, "", line); gsub(/'[^']*'/, "", line)
  n[t] += gsub(/\),\(/, "", line)
  if (line ~ /\),$/) n[t]++
  else if (line ~ /\);$/) { n[t]++; inside = 0 }
  else if (line ~ /;$/) inside = 0
}
END { for (t in n) print t, n[t] }
"""

MY_TABLE_COUNTS_SQL = (
    "SELECT GROUP_CONCAT(CONCAT('SELECT ', QUOTE(table_name), ', COUNT(*) FROM `', "
    "REPLACE(table_name, '`', '``'), '`') SEPARATOR ' UNION ALL ') FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
)


def mysql_dump_counts(engine: Engine, container: str, file: str) -> Cmd:
    """`table rows` for each table a dump creates, counted from its INSERT statements."""
    script = (f"tail -c 200 {_in_backups(file)} | grep -q '^-- Dump completed' || {{ echo 'the "
              "dump is incomplete (it does not end with -- Dump completed)' >&2; exit 1; } && "
              f"awk {_single_quoted(MY_DUMP_COUNTS_AWK)} {_in_backups(file)}")  # fmt: skip
    return cmd(engine.name, "exec", container, "sh", "-c", script)


def throwaway_mysql(engine: Engine, container: str, *args: str) -> Cmd:
    """Root over TCP in a throwaway (its server is the real one only once TCP answers: the
    entrypoint's first-start server listens on the socket only)."""
    return mysql(engine, container, "root", "-h", "127.0.0.1", "-N", "-B", *args)


def throwaway_mysql_load(engine: Engine, container: str, database: str, file: str) -> Cmd:
    """A dump in /backups loaded into the throwaway's database, stopping at the first error."""
    script = _MY_FN + f"my mariadb root -h 127.0.0.1 {shlex.quote(database)} < {_in_backups(file)}"
    return cmd(engine.name, "exec", container, "sh", "-c", script)


def wait_ready_mysql(engine: Engine, name: str, seconds: int = 120) -> Raw:
    probe = throwaway_mysql(engine, name, "-e", "SELECT 1").render()
    return Raw(f"i=0; until {probe} > /dev/null 2>&1; do i=$((i+1)); "
               f"[ $i -ge {seconds * 4} ] && exit 1; sleep 0.25; done")  # fmt: skip


# --- Redis -------------------------------------------------------------------------------------
def check_rdb(engine: Engine, container: str, file: str) -> Cmd:
    return cmd(engine.name, "exec", container, "redis-check-rdb", f"/backups/{file}")


def redis_cli(engine: Engine, container: str, *args: str) -> Cmd:
    script = (
        '[ -z "${REDIS_PASSWORD:-}" ] || export REDISCLI_AUTH="$REDIS_PASSWORD"; redis-cli "$@"'
    )
    return cmd(engine.name, "exec", container, "sh", "-c", script, "redis-cli", *args)


def redis_restore_files(engine: Engine, image: str, accessory_container: str, place: BackupPlace,
                        file: str, data_dir: str, stamp: str) -> Cmd:  # fmt: skip
    """With the accessory stopped: keep its dump.rdb aside, put the backup in its place."""
    script = (
        f"cd {_single_quoted(data_dir)} && "
        f"if [ -f dump.rdb ]; then cp -p dump.rdb dump.rdb.before-restore-{stamp}; fi && "
        f"cp {_in_backups(file)} dump.rdb.incoming && mv -f dump.rdb.incoming dump.rdb"
    )
    return cmd(
        engine.name, "run", "--rm", "--user", "0", "--entrypoint", "/bin/sh",
        "--volumes-from", accessory_container, "--volume", place.mount("/backups", ":ro"),
        image, "-c", script,
    )  # fmt: skip


# --- volume ------------------------------------------------------------------------------------
def volume_restore_files(engine: Engine, image: str, accessory_container: str, place: BackupPlace,
                         file: str, kept: str) -> Cmd:  # fmt: skip
    """With the accessory stopped: archive what the directories hold now as `kept` in the backup
    directory (nothing is deleted unless that worked), empty them, unpack the backup."""
    paths = " ".join(p.lstrip("/") for p in place.settings.paths)
    partial, whole = _in_backups(f".{kept}.partial"), _in_backups(kept)
    script = (
        f"tar -czf {partial} -C / {paths} && "
        f"mv {partial} {whole} || "
        f"{{ rm -f {partial}; echo 'cannot keep the current files aside; "
        "nothing was changed' >&2; exit 3; }; "
        f'for p in {paths}; do find "/$p" -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + || '
        f"exit 1; done && tar -xzf {_in_backups(file)} -C /"
    )
    return cmd(
        engine.name, "run", "--rm", "--user", "0", "--entrypoint", "/bin/sh",
        "--volumes-from", accessory_container, "--volume", place.mount("/backups"),
        image, "-c", script,
    )  # fmt: skip


def volume_entries(engine: Engine, container: str, file: str) -> Cmd:
    """Unpack the archive whole in the container, then count its entries."""
    archive = _in_backups(file)
    script = f"mkdir -p /tmp/v && tar -xzf {archive} -C /tmp/v && tar -tzf {archive} | wc -l"
    return cmd(engine.name, "exec", container, "sh", "-c", script)


def decrypt_copy(engine: Engine, image: str, place: BackupPlace, file: str, key_file: str,
                 plain: str) -> Cmd:  # fmt: skip
    """A decrypted copy of an encrypted backup beside it (hidden), for restore and verify."""
    partial = _in_backups(f"{plain}.partial")
    script = (
        f"openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY "
        f"-in {_in_backups(file)} -out {partial} && "
        f"mv {partial} {_in_backups(plain)} || "
        f"{{ rm -f {partial}; exit 1; }}"
    )
    return cmd(
        engine.name, "run", "--rm", "--user", "0", "--network", "none", "--entrypoint", "/bin/sh",
        "--env-file", HomePath(key_file), "--volume", place.mount("/backups"), image, "-c", script,
    )  # fmt: skip


def remove_file(place: BackupPlace, file: str) -> Cmd:
    return cmd("rm", "-f", place.path(file))
