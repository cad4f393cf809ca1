"""Commands for accessory backups (pure): the backup container, listing, restore and verify.

The backup container `<service>-backup` runs the accessory's own image (it has the dump tools)
with the accessory's env file, the backup directory at /backups and dockyard's scripts at
/dockyard (read-only). `accessory backup` runs the same script in it that the schedule runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.backups.settings import BackupSettings
from dockyard.commands.backup_s3 import exec_script, s3_env
from dockyard.commands.base import Cmd, HomePath, Raw, Seq, any_of, cmd
from dockyard.config.settings import Accessory
from dockyard.plan.backup_schedule import shell_sets

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
    if s.database:
        env["PG_DB"] = s.database
    if s.user:
        env["PG_USER"] = s.user
    if s.schedule:
        env.update(shell_sets(s.schedule))
    if s.s3:
        env.update(s3_env(s.s3))
    return env


def key_env_file(app: str, name: str) -> str:
    """The backup key of an accessory, 0600, beside Kamal's env files (relative to the home)."""
    return f".kamal/apps/{app}/env/accessories/{name}-backup-key.env"


def run_backup_container(
    engine: str, place: BackupPlace, env_file: str | None, key_file: str | None = None
) -> Cmd:
    a = place.accessory
    return cmd(
        engine, "run", "--detach", "--restart", "unless-stopped", "--name", place.container,
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


def backup_now(engine: str, place: BackupPlace, key_file: str | None = None) -> Cmd:
    """The scheduled script, now. With an S3 target, the store's settings and credentials are
    the config's as it is now (given to the exec), not the ones of the container's start."""
    s3 = place.settings.s3
    if s3 is None:
        return cmd(engine, "exec", place.container, "sh", "/dockyard/backup.sh")
    return exec_script(engine, place.container, s3_env(s3), key_file, "/dockyard/backup.sh")


def s3_script(engine: str, place: BackupPlace, key_file: str | None, *args: str) -> Cmd:
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


def remove_backup_container(engine: str, place: BackupPlace) -> Seq:
    return any_of(cmd(engine, "rm", "--force", place.container), Raw("true"))


def list_backups(place: BackupPlace, engine: str = "docker", key_file: str | None = None) -> Raw:
    """Each manifest (one JSON line per backup), then the status files, marked. With an S3
    target the manifests come from the store (s3.sh list in the backup container) and the
    status files from the directory where backups are made."""
    d = place.directory
    base = f'"$HOME/{d}"' if isinstance(d, HomePath) else f"'{d}'"
    ext = place.settings.extension
    status = (
        'for s in last-success last-failure; do [ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )
    if place.settings.s3:
        store = s3_script(engine, place, key_file, "list").render()
        return Raw(f"{store} || exit $?; cd {base} 2>/dev/null || exit 0; {status}")
    return Raw(
        f"cd {base} 2>/dev/null || exit 0; "
        f'for f in {place.prefix}-*.{ext}.json; do [ -f "$f" ] && cat "$f"; done; {status}'
    )


def checksum(place: BackupPlace, file: str) -> Cmd:
    return cmd("sha256sum", place.path(file))


# --- Postgres ----------------------------------------------------------------------------------
def psql(
    engine: str, container: str, user: str, database: str, *sql: str, atomic: bool = False
) -> Cmd:
    """psql in the container over its local socket, stopping at the first error; `atomic`
    runs every statement in one transaction."""
    args = [x for statement in sql for x in ("-c", statement)]
    return cmd(engine, "exec", container, "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
               *(["--single-transaction"] if atomic else []),
               "-U", user, "-d", database, *args)  # fmt: skip


def pg_restore_from_host(
    engine: str, container: str, user: str, database: str, backup: str | HomePath
) -> Raw:
    """The backup file on the host, streamed into pg_restore in the container."""
    source = f'"$HOME/{backup}"' if isinstance(backup, HomePath) else f"'{backup}'"
    restore = cmd(engine, "exec", "-i", container, "pg_restore", "--exit-on-error",
                  "--no-owner", "--no-acl", "-U", user, "-d", database)  # fmt: skip
    return Raw(f"{restore.render()} < {source}")


def dump_row_counts(engine: str, container: str, file: str) -> Cmd:
    """`schema.table rows` for each table's data in a dump: what the dump recorded."""
    script = (
        f"pg_restore --data-only -f - '/backups/{file}' | awk "
        "'/^COPY / {t=$2; n=0; inside=1; next} inside && /^\\\\\\.$/ {print t, n; inside=0; next} "
        "inside {n++}'"
    )
    return cmd(engine, "exec", container, "sh", "-c", script)


TABLE_COUNTS_SQL = (
    "SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I', "
    "quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1 \\gexec"
)


def table_counts(engine: str, container: str, user: str, database: str) -> Raw:
    """`schema.table rows` for every table in the database (psql's \\gexec)."""
    base = cmd(engine, "exec", "-i", container, "psql", "-X", "-q", "-At", "-v",
               "ON_ERROR_STOP=1", "-U", user, "-d", database)  # fmt: skip
    return Raw(f"echo {_single_quoted(TABLE_COUNTS_SQL)} | {base.render()}")


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_throwaway(
    engine: str, name: str, image: str, place: BackupPlace, env: Mapping[str, str],
    command: Sequence[str] = (),
) -> Cmd:  # fmt: skip
    """A container for verify: no network, the backups read-only at /backups."""
    return cmd(
        engine, "run", "--detach", "--name", name, "--network", "none",
        "--label", f"{BACKUP_LABEL}-verify={place.accessory.name}",
        *[x for k, v in env.items() for x in ("--env", f"{k}={v}")],
        "--volume", place.mount("/backups", ":ro"), image, *command,
    )  # fmt: skip


def wait_ready_postgres(engine: str, name: str, seconds: int = 60) -> Raw:
    probe = cmd(engine, "exec", name, "pg_isready", "-q", "-h", "127.0.0.1").render()
    return Raw(f"i=0; until {probe}; do i=$((i+1)); [ $i -ge {seconds * 4} ] && exit 1; "
               "sleep 0.25; done")  # fmt: skip


def remove_container(engine: str, name: str) -> Cmd:
    return cmd(engine, "rm", "--force", "--volumes", name)


# --- Redis -------------------------------------------------------------------------------------
def check_rdb(engine: str, container: str, file: str) -> Cmd:
    return cmd(engine, "exec", container, "redis-check-rdb", f"/backups/{file}")


def redis_cli(engine: str, container: str, *args: str) -> Cmd:
    script = (
        '[ -z "${REDIS_PASSWORD:-}" ] || export REDISCLI_AUTH="$REDIS_PASSWORD"; redis-cli "$@"'
    )
    return cmd(engine, "exec", container, "sh", "-c", script, "redis-cli", *args)


def redis_restore_files(engine: str, image: str, accessory_container: str, place: BackupPlace,
                        file: str, data_dir: str, stamp: str) -> Cmd:  # fmt: skip
    """With the accessory stopped: keep its dump.rdb aside, put the backup in its place."""
    script = (
        f"cd '{data_dir}' && "
        f"if [ -f dump.rdb ]; then cp -p dump.rdb dump.rdb.before-restore-{stamp}; fi && "
        f"cp '/backups/{file}' dump.rdb.incoming && mv -f dump.rdb.incoming dump.rdb"
    )
    return cmd(
        engine, "run", "--rm", "--user", "0", "--entrypoint", "/bin/sh",
        "--volumes-from", accessory_container, "--volume", place.mount("/backups", ":ro"),
        image, "-c", script,
    )  # fmt: skip


# --- volume ------------------------------------------------------------------------------------
def volume_restore_files(engine: str, image: str, accessory_container: str, place: BackupPlace,
                         file: str, kept: str) -> Cmd:  # fmt: skip
    """With the accessory stopped: archive what the directories hold now as `kept` in the backup
    directory (nothing is deleted unless that worked), empty them, unpack the backup."""
    paths = " ".join(p.lstrip("/") for p in place.settings.paths)
    script = (
        f"tar -czf '/backups/.{kept}.partial' -C / {paths} && "
        f"mv '/backups/.{kept}.partial' '/backups/{kept}' || "
        f"{{ rm -f '/backups/.{kept}.partial'; echo 'cannot keep the current files aside; "
        "nothing was changed' >&2; exit 3; }; "
        f'for p in {paths}; do find "/$p" -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + || '
        f"exit 1; done && tar -xzf '/backups/{file}' -C /"
    )
    return cmd(
        engine, "run", "--rm", "--user", "0", "--entrypoint", "/bin/sh",
        "--volumes-from", accessory_container, "--volume", place.mount("/backups"),
        image, "-c", script,
    )  # fmt: skip


def volume_entries(engine: str, container: str, file: str) -> Cmd:
    """Unpack the archive whole in the container, then count its entries."""
    archive = f"'/backups/{file}'"
    script = f"mkdir -p /tmp/v && tar -xzf {archive} -C /tmp/v && tar -tzf {archive} | wc -l"
    return cmd(engine, "exec", container, "sh", "-c", script)


def decrypt_copy(engine: str, image: str, place: BackupPlace, file: str, key_file: str,
                 plain: str) -> Cmd:  # fmt: skip
    """A decrypted copy of an encrypted backup beside it (hidden), for restore and verify."""
    script = (
        f"openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY "
        f"-in '/backups/{file}' -out '/backups/{plain}.partial' && "
        f"mv '/backups/{plain}.partial' '/backups/{plain}' || "
        f"{{ rm -f '/backups/{plain}.partial'; exit 1; }}"
    )
    return cmd(
        engine, "run", "--rm", "--user", "0", "--network", "none", "--entrypoint", "/bin/sh",
        "--env-file", HomePath(key_file), "--volume", place.mount("/backups"), image, "-c", script,
    )  # fmt: skip


def remove_file(place: BackupPlace, file: str) -> Cmd:
    return cmd("rm", "-f", place.path(file))
