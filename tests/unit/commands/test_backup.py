"""Exact renders of the backup commands."""

import pytest

from dockyard.commands import backup
from dockyard.config.backups import BackupSettings, S3Target
from dockyard.config.cron import parse_cron
from dockyard.config.model import Env
from dockyard.config.settings import Accessory
from dockyard.engine import DOCKER, PODMAN


def place(directory: str | None = None) -> backup.BackupPlace:
    db = Accessory(name="db", service_name="shop-db", image="postgres:15", hosts=("h",),
                   env=Env(clear={"POSTGRES_USER": "shop"}))  # fmt: skip
    settings = BackupSettings("db", "postgres", parse_cron("*/30 * * * *"), keep=3,
                              max_age_seconds=3600, directory=directory)  # fmt: skip
    return backup.BackupPlace(db, settings)


TARGET = S3Target("http://10.0.0.5:8333", "backups", "S3_ID", "S3_SECRET", prefix="shop/")
KEY_FILE = ".kamal/apps/shop/env/accessories/db-backup-key.env"


def s3_place(target: S3Target = TARGET) -> backup.BackupPlace:
    """Backups to an S3 store: settings reach the backup container, secrets only through the
    0600 key env file, never on a command line."""
    db = Accessory(name="db", service_name="shop-db", image="postgres:15", hosts=("h",),
                   env=Env(clear={"POSTGRES_USER": "shop"}))  # fmt: skip
    return backup.BackupPlace(db, BackupSettings("db", "postgres", keep=3, s3=target))


def mysql_place() -> backup.BackupPlace:
    db = Accessory(name="my", service_name="shop-my", image="mariadb:10.11", hosts=("h",))
    return backup.BackupPlace(db, BackupSettings("my", "mysql", database="app", user="shop"))


def test_backup_container_runs_the_accessory_image_with_its_env_and_the_schedule() -> None:
    rendered = backup.run_backup_container(
        DOCKER, place(), ".kamal/apps/shop/env/accessories/db.env"
    ).render()
    assert rendered == (
        "docker run --detach --restart unless-stopped --name shop-db-backup --network kamal"
        " --user 0 --entrypoint /bin/sh --env POSTGRES_USER=shop --env KIND=postgres"
        " --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE=3600"
        " --env DB_HOST=shop-db --env 'CRON_MINUTES= 0 30 '"
        " --env 'CRON_HOURS= " + " ".join(str(h) for h in range(24)) + " '"
        " --env 'CRON_DAYS= " + " ".join(str(d) for d in range(1, 32)) + " '"
        " --env 'CRON_MONTHS= " + " ".join(str(m) for m in range(1, 13)) + " '"
        " --env 'CRON_WEEKDAYS= 0 1 2 3 4 5 6 ' --env CRON_DAY_OR=0"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db.env"'
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups"'
        ' --volume "$HOME/.dockyard/accessories/shop-db:/dockyard:ro"'
        " --label service=shop-db --label dockyard-backup=db --log-opt max-size=10m"
        " postgres:15 /dockyard/schedule.sh"
    )


def test_an_absolute_target_directory_is_used_as_given() -> None:
    assert place("/var/backups/db").mount("/backups", ":ro") == "/var/backups/db:/backups:ro"
    assert backup.checksum(place("/var/backups/db"), "f.pgdump").render() == (
        "if command -v openssl > /dev/null 2>&1; then openssl dgst -sha256 -r "
        "'/var/backups/db/f.pgdump'; else sha256sum '/var/backups/db/f.pgdump'; fi"
    )
    assert backup.checksum(place(), "f.pgdump", beside_work=True).render() == (
        "if command -v openssl > /dev/null 2>&1; then nice -n 19 openssl dgst -sha256 -r "
        '"$HOME/.dockyard/backups/shop-db/f.pgdump"; else nice -n 19 sha256sum '
        '"$HOME/.dockyard/backups/shop-db/f.pgdump"; fi'
    )


def test_backup_now_runs_the_scheduled_script() -> None:
    assert backup.backup_now(PODMAN, place()).render() == (
        "podman exec shop-db-backup sh /dockyard/backup.sh"
    )


def test_restore_streams_the_host_file_into_pg_restore() -> None:
    assert backup.pg_restore_from_host(
        DOCKER, "shop-db", "shop", "shop__restoring", place().path("f.pgdump")
    ).render() == (
        "docker exec -i shop-db pg_restore --exit-on-error --no-owner --no-acl -U shop"
        ' -d shop__restoring < "$HOME/.dockyard/backups/shop-db/f.pgdump"'
    )


def test_psql_atomic_stops_at_the_first_error() -> None:
    assert backup.psql(DOCKER, "shop-db", "shop", "postgres", "A", "B", atomic=True).render() == (
        "docker exec shop-db psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -U shop"
        " -d postgres -c A -c B"
    )


def test_verify_throwaway_has_no_network_and_reads_backups_only() -> None:
    rendered = backup.run_throwaway(
        DOCKER, "shop-db-verify-1", "postgres:15", place(), {"POSTGRES_USER": "verify"}
    ).render()
    assert rendered == (
        "docker run --detach --name shop-db-verify-1 --network none"
        " --label dockyard-backup-verify=db --env POSTGRES_USER=verify"
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups:ro" postgres:15'
    )


def test_volume_restore_keeps_the_current_files_before_deleting_any() -> None:
    from dockyard.config.backups import BackupSettings as Settings

    db = Accessory(name="up", service_name="shop-up", image="img", hosts=("h",))
    volume = backup.BackupPlace(db, Settings("up", "volume", paths=("/srv/up", "/etc/x")))
    rendered = backup.volume_restore_files(
        DOCKER, "img", "shop-up", volume, "shop-up-1.tar.gz", "shop-up-before.tar.gz"
    ).render()
    assert rendered.startswith(
        "docker run --rm --user 0 --entrypoint /bin/sh --volumes-from shop-up"
        ' --volume "$HOME/.dockyard/backups/shop-up:/backups" img -c '
    )
    script = rendered.split(" -c ", 1)[1]
    keep, empty, unpack = (script.index(x) for x in ("tar -czf", "rm -rf", "tar -xzf"))
    assert keep < empty < unpack
    assert "srv/up etc/x" in script
    assert backup.script_env(volume)["VOLUME_PATHS"] == "srv/up etc/x"
    assert "--volumes-from shop-up:ro" in backup.run_backup_container(DOCKER, volume, None).render()


def test_mysql_settings_reach_the_script_under_their_own_names() -> None:
    db = Accessory(name="db", service_name="shop-db", image="mariadb:10.11", hosts=("h",))
    settings = BackupSettings("db", "mysql", database="app", user="shop")
    env = backup.script_env(backup.BackupPlace(db, settings))
    assert (env["KIND"], env["EXT"], env["MY_DB"], env["MY_USER"]) == (
        "mysql",
        "sql",
        "app",
        "shop",
    )
    assert "PG_DB" not in env


def test_the_store_settings_reach_the_backup_container_but_no_secret() -> None:
    rendered = backup.run_backup_container(DOCKER, s3_place(), None, KEY_FILE).render()
    assert (
        " --env S3_URL=http://10.0.0.5:8333/backups --env S3_ENDPOINT=http://10.0.0.5:8333"
        " --env S3_BUCKET=backups --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        f' --env-file "$HOME/{KEY_FILE}"'
    ) in rendered
    assert "S3_ID" not in rendered and "S3_SECRET" not in rendered


def test_backup_now_with_a_store_uses_the_settings_and_secrets_of_now() -> None:
    assert backup.backup_now(DOCKER, s3_place(), KEY_FILE).render() == (
        "docker exec --env S3_URL=http://10.0.0.5:8333/backups"
        " --env S3_ENDPOINT=http://10.0.0.5:8333 --env S3_BUCKET=backups"
        " --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        f' --env-file "$HOME/{KEY_FILE}" shop-db-backup sh /dockyard/backup.sh'
    )


def test_listing_asks_the_store_then_reads_the_status_files() -> None:
    rendered = backup.list_backups(s3_place(), PODMAN, KEY_FILE).render()
    assert rendered.startswith(
        "podman exec --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE="
    )
    assert f'--env-file "$HOME/{KEY_FILE}" shop-db-backup sh /dockyard/s3.sh list || exit $?;' in (
        rendered
    )
    assert rendered.endswith(
        'cd "$HOME/.dockyard/backups/shop-db" 2>/dev/null || exit 0; for s in last-success '
        'last-failure last-verify; do [ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )


def test_fetch_downloads_into_the_backup_directory() -> None:
    rendered = backup.s3_script(DOCKER, s3_place(), KEY_FILE, "get", "f.pgdump", ".s3-f.pgdump")
    assert rendered.render().endswith("shop-db-backup sh /dockyard/s3.sh get f.pgdump .s3-f.pgdump")


def test_a_file_name_from_a_manifest_stays_one_word_for_every_shell() -> None:
    """A backup's name comes from its manifest, which the other users of an S3 store can write;
    the redis data directory from the server's redis."""
    name = "it's $(x).sql"
    assert backup.checksum(place("/var/backups/db"), name).render() == (
        "if command -v openssl > /dev/null 2>&1; then openssl dgst -sha256 -r "
        "'/var/backups/db/it'\\''s $(x).sql'; else sha256sum '/var/backups/db/it'\\''s $(x).sql'; "
        "fi"
    )
    assert backup.volume_entries(DOCKER, "v", name).argv[-1] == (
        "mkdir -p /tmp/v && tar -xzf '/backups/it'\\''s $(x).sql' -C /tmp/v && "
        "tar -tzf '/backups/it'\\''s $(x).sql' | wc -l"
    )
    restore = backup.redis_restore_files(DOCKER, "redis:7", "r", place(), name, "/d/it's", "S")
    assert restore.argv[-1] == (
        "cd '/d/it'\\''s' && if [ -f dump.rdb ]; then cp -p dump.rdb dump.rdb.before-restore-S; "
        "fi && cp '/backups/it'\\''s $(x).sql' dump.rdb.incoming && mv -f dump.rdb.incoming "
        "dump.rdb"
    )
    with pytest.raises(ValueError, match="unsafe characters in a home path"):
        backup.checksum(place(), name)  # under the home: refused, never run


def test_backup_container_exact() -> None:
    """The schedule's CRON_* sets, the env file, the backup directory under the home."""
    assert backup.run_backup_container(
        DOCKER, place(), ".kamal/apps/shop/env/accessories/db.env"
    ).render() == (
        "docker run --detach --restart unless-stopped --name shop-db-backup --network kamal"
        " --user 0 --entrypoint /bin/sh --env POSTGRES_USER=shop --env KIND=postgres"
        " --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE=3600"
        " --env DB_HOST=shop-db --env 'CRON_MINUTES= 0 30 '"
        " --env 'CRON_HOURS= 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 '"
        " --env 'CRON_DAYS= 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 "
        "27 28 29 30 31 ' --env 'CRON_MONTHS= 1 2 3 4 5 6 7 8 9 10 11 12 '"
        " --env 'CRON_WEEKDAYS= 0 1 2 3 4 5 6 ' --env CRON_DAY_OR=0"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db.env"'
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups"'
        ' --volume "$HOME/.dockyard/accessories/shop-db:/dockyard:ro" --label service=shop-db'
        " --label dockyard-backup=db --log-opt max-size=10m postgres:15 /dockyard/schedule.sh"
    )


def test_backup_container_with_a_store_and_its_key_file_podman() -> None:
    assert backup.run_backup_container(PODMAN, s3_place(), None, KEY_FILE).render() == (
        "podman run --detach --restart unless-stopped --name shop-db-backup --network kamal"
        " --user 0 --entrypoint /bin/sh --env POSTGRES_USER=shop --env KIND=postgres"
        " --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE="
        " --env DB_HOST=shop-db --env S3_URL=http://10.0.0.5:8333/backups"
        " --env S3_ENDPOINT=http://10.0.0.5:8333 --env S3_BUCKET=backups"
        " --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env"'
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups"'
        ' --volume "$HOME/.dockyard/accessories/shop-db:/dockyard:ro" --label service=shop-db'
        " --label dockyard-backup=db --log-opt max-size=10m postgres:15 /dockyard/schedule.sh"
    )


def test_backup_container_of_a_volume_reads_the_accessory_mounts() -> None:
    db = Accessory(name="up", service_name="shop-up", image="img", hosts=("h",))
    settings = BackupSettings("up", "volume", paths=("/srv/up",), directory="/var/backups/up")
    volume = backup.BackupPlace(db, settings)
    assert backup.run_backup_container(DOCKER, volume, None).render() == (
        "docker run --detach --restart unless-stopped --name shop-up-backup --network kamal"
        " --user 0 --entrypoint /bin/sh --env KIND=volume --env PREFIX=shop-up --env EXT=tar.gz"
        " --env KEEP=7 --env MAX_AGE= --env DB_HOST=shop-up --env VOLUME_PATHS=srv/up"
        " --volumes-from shop-up:ro --volume /var/backups/up:/backups"
        ' --volume "$HOME/.dockyard/accessories/shop-up:/dockyard:ro" --label service=shop-up'
        " --label dockyard-backup=up --log-opt max-size=10m img /dockyard/schedule.sh"
    )


def test_backup_dirs_under_the_home() -> None:
    assert backup.make_backup_dirs(place()).render() == (
        'mkdir -p "$HOME/.dockyard/backups/shop-db" "$HOME/.dockyard/accessories/shop-db"'
    )


def test_backup_dirs_with_an_absolute_target() -> None:
    assert backup.make_backup_dirs(place("/var/backups/db")).render() == (
        'mkdir -p /var/backups/db "$HOME/.dockyard/accessories/shop-db"'
    )


def test_forget_setup_keeps_the_backups() -> None:
    assert backup.forget_setup(place(), backup.key_env_file("shop", "db")).render() == (
        'rm -rf "$HOME/.dockyard/accessories/shop-db" '
        '"$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env"'
    )


def test_s3_script_with_the_settings_of_now() -> None:
    assert backup.s3_script(
        PODMAN, s3_place(), KEY_FILE, "get", "f.pgdump", ".s3-f.pgdump"
    ).render() == (
        "podman exec --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE="
        " --env S3_URL=http://10.0.0.5:8333/backups --env S3_ENDPOINT=http://10.0.0.5:8333"
        " --env S3_BUCKET=backups --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env" shop-db-backup sh '
        "/dockyard/s3.sh get f.pgdump .s3-f.pgdump"
    )


def test_remove_backup_container() -> None:
    assert backup.remove_backup_container(PODMAN, place()).render() == (
        "podman rm --force shop-db-backup || true"
    )


def test_list_backups_in_the_default_directory() -> None:
    assert backup.list_backups(place()).render() == (
        'cd "$HOME/.dockyard/backups/shop-db" 2>/dev/null || exit 0; '
        'for f in shop-db-*.pgdump.json; do [ -f "$f" ] && cat "$f"; done; '
        "for s in last-success last-failure last-verify; do "
        '[ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )


def test_list_backups_in_an_absolute_directory() -> None:
    assert backup.list_backups(place("/var/backups/db")).render() == (
        "cd '/var/backups/db' 2>/dev/null || exit 0; for f in shop-db-*.pgdump.json; do ["
        ' -f "$f" ] && cat "$f"; done; for s in last-success last-failure last-verify; do '
        '[ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )


def test_list_backups_in_a_store_exact() -> None:
    assert backup.list_backups(s3_place(), PODMAN, KEY_FILE).render() == (
        "podman exec --env PREFIX=shop-db --env EXT=pgdump --env KEEP=3 --env MAX_AGE="
        " --env S3_URL=http://10.0.0.5:8333/backups --env S3_ENDPOINT=http://10.0.0.5:8333"
        " --env S3_BUCKET=backups --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env" shop-db-backup sh '
        '/dockyard/s3.sh list || exit $?; cd "$HOME/.dockyard/backups/shop-db" 2>/dev/null || '
        "exit 0; for s in last-success last-failure last-verify; do "
        '[ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    )


def test_record_verify_writes_the_result_whole() -> None:
    assert backup.record_verify(
        place("/var/backups/db"), "17 failed f.pgdump: it's\nbad"
    ).render() == (
        "cd '/var/backups/db' && printf '%s\\n' '17 failed f.pgdump: it'\\''s bad' > "
        ".last-verify.tmp && mv -f .last-verify.tmp .last-verify"
    )


def test_checksum_under_the_home() -> None:
    assert backup.checksum(place(), "f.pgdump").render() == (
        "if command -v openssl > /dev/null 2>&1; then openssl dgst -sha256"
        ' -r "$HOME/.dockyard/backups/shop-db/f.pgdump"; '
        'else sha256sum "$HOME/.dockyard/backups/shop-db/f.pgdump"; fi'
    )


def test_dump_row_counts_reads_the_copy_blocks() -> None:
    assert backup.dump_row_counts(DOCKER, "shop-db-verify", "shop-db-1.pgdump").render() == (
        "docker exec shop-db-verify sh -c 'pg_restore --data-only"
        " -f - '\"'\"'/backups/shop-db-1.pgdump'\"'\"' | awk '\"'\"'/^COPY / {t=$2; n=0; "
        "inside=1; next} inside && /^\\\\\\.$/ {print t, n; inside=0; next} inside {n++}'\"'\"''"
    )


def test_table_counts_through_gexec() -> None:
    assert backup.table_counts(DOCKER, "shop-db", "shop", "app").render() == (
        "echo 'SELECT format('\\''SELECT %L || '\\'''\\'' '\\'''\\'' || "
        "count(*) FROM %I.%I'\\'', quote_ident(n.nspname) || '\\''.'\\'' || "
        "quote_ident(c.relname), n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE c.relkind IN ('\\''r'\\'', '\\''p'\\'') AND n.nspname NOT IN "
        "('\\''pg_catalog'\\'', '\\''information_schema'\\'') AND n.nspname NOT LIKE "
        "'\\''pg_toast%'\\'' ORDER BY 1 \\gexec' | docker exec -i shop-db psql -X -q -At"
        " -v ON_ERROR_STOP=1 -U shop -d app"
    )


def test_wait_ready_postgres_polls_four_times_a_second() -> None:
    assert backup.wait_ready_postgres(PODMAN, "v", 2).render() == (
        "i=0; until podman exec v pg_isready -q -h 127.0.0.1; do i=$((i+1)); [ $i -ge 8 ] && "
        "exit 1; sleep 0.25; done"
    )


def test_remove_a_throwaway_and_its_volumes() -> None:
    assert backup.remove_container(PODMAN, "shop-db-verify-1").render() == (
        "podman rm --force --volumes shop-db-verify-1"
    )


def test_mysql_client_with_standard_input() -> None:
    assert backup.mysql(DOCKER, "shop-my", "root", "-e", "SELECT 1", stdin=True).render() == (
        "docker exec -i shop-my sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb root -e \'SELECT 1\''
    )


def test_mysql_statements_in_one_call() -> None:
    assert backup.mysql_sql(PODMAN, "shop-my", "shop", "A", "B", database="app").render() == (
        "podman exec shop-my sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb shop -N -B -e \'A; B\' app'
    )


def test_mysql_keep_aside_dumps_beside_the_backups() -> None:
    my = mysql_place()
    assert backup.mysql_keep_aside(
        DOCKER, "shop-my", "root", "app", my, "shop-my-before.sql"
    ).render() == (
        "{ docker exec shop-my sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb-dump root --single-transaction --quick'
        " --routines --triggers --events app > "
        '"$HOME/.dockyard/backups/shop-my/.shop-my-before.sql.partial" && '
        'mv "$HOME/.dockyard/backups/shop-my/.shop-my-before.sql.partial" '
        '"$HOME/.dockyard/backups/shop-my/shop-my-before.sql"; } || { rm'
        ' -f "$HOME/.dockyard/backups/shop-my/.shop-my-before.sql.partial"; exit 3; }'
    )


def test_mysql_load_from_a_host_file() -> None:
    my = mysql_place()
    assert backup.mysql_load_from_host(
        DOCKER, "shop-my", "root", "app", backup.host_path(my, "f.sql")
    ).render() == (
        "docker exec -i shop-my sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb root app < '
        '"$HOME/.dockyard/backups/shop-my/f.sql"'
    )


def test_mysql_dump_complete_reads_the_last_line() -> None:
    my = mysql_place()
    assert backup.mysql_dump_complete(my, "f.sql").render() == (
        "tail -c 200 \"$HOME/.dockyard/backups/shop-my/f.sql\" | grep -q '^-- Dump completed'"
    )


def test_mysql_dump_counts_checks_the_dump_is_whole_first() -> None:
    assert backup.mysql_dump_counts(DOCKER, "v", "f.sql").render() == (
        "docker exec v sh -c 'tail -c 200 '\"'\"'/backups/f.sql'\"'\"' | grep"
        " -q '\"'\"'^-- Dump completed'\"'\"' || { echo '\"'\"'the dump is incomplete (it does "
        "not end with -- Dump completed)'\"'\"' >&2; exit 1; } && "
        'awk \'"\'"\'\n/^CREATE TABLE `/ { t = $3; gsub(/`/, "", t); if (!(t in n)) n[t] = 0; '
        'next }\n/^INSERT INTO `/ { t = $3; gsub(/`/, "", t); '
        'inside = 1 }\ninside {\n  line = $0; gsub(/\\\\./, "", line); '
        "gsub(/'\"'\"'\\'\"'\"''\"'\"'[^'\"'\"'\\'\"'\"''\"'\"']*'\"'\"'\\'\"'\"''\"'\"'/,"
        ' "", line)\n  n[t] += gsub(/\\),\\(/, "", line)\n  if (line ~ /\\),$/) n[t]++\n  else if '
        "(line ~ /\\);$/) { n[t]++; inside = 0 }\n  else if (line ~ /;$/) inside = 0\n}\nEND { for "
        "(t in n) print t, n[t] }\n'\"'\"' '\"'\"'/backups/f.sql'\"'\"''"
    )


def test_throwaway_mysql_over_tcp_as_root() -> None:
    assert backup.throwaway_mysql(DOCKER, "v", "-e", "SELECT 1").render() == (
        "docker exec v sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb root -h 127.0.0.1 -N -B -e \'SELECT 1\''
    )


def test_throwaway_mysql_load() -> None:
    assert backup.throwaway_mysql_load(PODMAN, "v", "verify", "f.sql").render() == (
        "podman exec v sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my mariadb root -h 127.0.0.1 verify < '
        "'\"'\"'/backups/f.sql'\"'\"''"
    )


def test_wait_ready_mysql() -> None:
    assert backup.wait_ready_mysql(PODMAN, "v", 1).render() == (
        "i=0; until podman exec v sh -c 'my() { tool=$1; user=$2; shift 2; command"
        ' -v "$tool" > /dev/null 2>&1 || tool=$(echo "$tool" | sed -e s/mariadb-dump/mysqldump/'
        ' -e s/mariadb/mysql/); if [ "$user" = root ]; '
        'then p="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; '
        'else p="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi; MYSQL_PWD="$p" "$tool"'
        ' -u "$user" "$@"; }; my "$@"\' sh mariadb root -h 127.0.0.1 -N -B'
        " -e 'SELECT 1' > /dev/null 2>&1; do i=$((i+1)); [ $i -ge 4 ] && exit 1; sleep 0.25; done"
    )


def test_check_rdb() -> None:
    assert backup.check_rdb(DOCKER, "v", "f.rdb").render() == (
        "docker exec v redis-check-rdb /backups/f.rdb"
    )


def test_redis_cli_authenticates_only_with_a_password() -> None:
    assert backup.redis_cli(DOCKER, "shop-redis", "CONFIG", "GET", "dir").render() == (
        'docker exec shop-redis sh -c \'[ -z "${REDIS_PASSWORD:-}" ] || '
        'export REDISCLI_AUTH="$REDIS_PASSWORD"; redis-cli "$@"\' redis-cli CONFIG GET dir'
    )


def test_redis_restore_keeps_the_current_dump_aside() -> None:
    assert backup.redis_restore_files(
        DOCKER, "redis:7", "shop-redis", place(), "f.rdb", "/data", "S"
    ).render() == (
        "docker run --rm --user 0 --entrypoint /bin/sh --volumes-from shop-redis"
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups:ro" redis:7'
        " -c 'cd '\"'\"'/data'\"'\"' && if [ -f dump.rdb ]; then cp"
        " -p dump.rdb dump.rdb.before-restore-S; fi && "
        "cp '\"'\"'/backups/f.rdb'\"'\"' dump.rdb.incoming && mv -f dump.rdb.incoming dump.rdb'"
    )


def test_volume_restore_exact() -> None:
    db = Accessory(name="up", service_name="shop-up", image="img", hosts=("h",))
    volume = backup.BackupPlace(db, BackupSettings("up", "volume", paths=("/srv/up", "/etc/x")))
    assert backup.volume_restore_files(
        PODMAN, "img", "shop-up", volume, "shop-up-1.tar.gz", "shop-up-before.tar.gz"
    ).render() == (
        "podman run --rm --user 0 --entrypoint /bin/sh --volumes-from shop-up"
        ' --volume "$HOME/.dockyard/backups/shop-up:/backups" img'
        " -c 'tar -czf '\"'\"'/backups/.shop-up-before.tar.gz.partial'\"'\"'"
        " -C / srv/up etc/x && mv '\"'\"'/backups/.shop-up-before.tar.gz.partial'\"'\"' "
        "'\"'\"'/backups/shop-up-before.tar.gz'\"'\"' || { rm"
        " -f '\"'\"'/backups/.shop-up-before.tar.gz.partial'\"'\"'; "
        "echo '\"'\"'cannot keep the current files aside; nothing was changed'\"'\"' >&2; "
        'exit 3; }; for p in srv/up etc/x; do find "/$p" -mindepth 1 -maxdepth 1 -exec rm -rf {} + '
        "|| exit 1; done && tar -xzf '\"'\"'/backups/shop-up-1.tar.gz'\"'\"' -C /'"
    )


def test_volume_entries() -> None:
    assert backup.volume_entries(DOCKER, "v", "f.tar.gz").render() == (
        "docker exec v sh -c 'mkdir -p /tmp/v && tar -xzf '\"'\"'/backups/f.tar.gz'\"'\"'"
        " -C /tmp/v && tar -tzf '\"'\"'/backups/f.tar.gz'\"'\"' | wc -l'"
    )


def test_decrypt_copy_beside_the_backup() -> None:
    assert backup.decrypt_copy(
        PODMAN,
        "postgres:15",
        place(),
        "f.pgdump",
        backup.key_env_file("shop", "db"),
        ".plain-f.pgdump",
    ).render() == (
        "podman run --rm --user 0 --network none --entrypoint /bin/sh"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env"'
        ' --volume "$HOME/.dockyard/backups/shop-db:/backups" postgres:15 -c \'openssl enc'
        " -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY -in "
        "'\"'\"'/backups/f.pgdump'\"'\"' -out '\"'\"'/backups/.plain-f.pgdump.partial'\"'\"' "
        "&& mv '\"'\"'/backups/.plain-f.pgdump.partial'\"'\"' "
        "'\"'\"'/backups/.plain-f.pgdump'\"'\"' || { rm"
        " -f '\"'\"'/backups/.plain-f.pgdump.partial'\"'\"'; exit 1; }'"
    )


def test_remove_a_backup_file() -> None:
    assert backup.remove_file(place(), "f.pgdump").render() == (
        'rm -f "$HOME/.dockyard/backups/shop-db/f.pgdump"'
    )


def test_remove_a_backup_file_in_an_absolute_directory() -> None:
    assert backup.remove_file(place("/var/backups/db"), "f.pgdump").render() == (
        "rm -f /var/backups/db/f.pgdump"
    )


def test_the_container_scripts_as_their_shell_reads_them() -> None:
    key = backup.key_env_file("shop", "db")
    decrypt = backup.decrypt_copy(PODMAN, "pg", place(), "f.pgdump", key, ".plain-f.pgdump")
    assert decrypt.argv[-2:] == (
        "-c",
        "openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY "
        "-in '/backups/f.pgdump' -out '/backups/.plain-f.pgdump.partial' && "
        "mv '/backups/.plain-f.pgdump.partial' '/backups/.plain-f.pgdump' || "
        "{ rm -f '/backups/.plain-f.pgdump.partial'; exit 1; }",
    )
    db = Accessory(name="up", service_name="shop-up", image="img", hosts=("h",))
    volume = backup.BackupPlace(db, BackupSettings("up", "volume", paths=("/srv/up", "/etc/x")))
    restore = backup.volume_restore_files(PODMAN, "img", "shop-up", volume, "f.tgz", "k.tgz")
    assert restore.argv[-2:] == (
        "-c",
        "tar -czf '/backups/.k.tgz.partial' -C / srv/up etc/x && "
        "mv '/backups/.k.tgz.partial' '/backups/k.tgz' || "
        "{ rm -f '/backups/.k.tgz.partial'; "
        "echo 'cannot keep the current files aside; nothing was changed' >&2; exit 3; }; "
        'for p in srv/up etc/x; do find "/$p" -mindepth 1 -maxdepth 1 -exec rm -rf {} + || '
        "exit 1; done && tar -xzf '/backups/f.tgz' -C /",
    )
    counts = backup.dump_row_counts(DOCKER, "v", "f.pgdump")
    assert counts.argv[-1] == (
        "pg_restore --data-only -f - '/backups/f.pgdump' | awk "
        "'/^COPY / {t=$2; n=0; inside=1; next} inside && /^\\\\\\.$/ {print t, n; inside=0; next} "
        "inside {n++}'"
    )


def test_a_scheduled_verify_is_asked_for_with_verify_every_on_a_postgres_schedule() -> None:
    """VERIFY_AFTER: verify_every less the schedule's longest gap and 10 minutes, so that a
    verify passes within each verify_every; none without a schedule, or for other kinds."""
    db = Accessory(name="db", service_name="shop-db", image="postgres:15", hosts=("h",))
    six_hourly = parse_cron("0 */6 * * *")
    weekly = BackupSettings("db", "postgres", six_hourly, verify_every_seconds=7 * 86400)
    assert backup.script_env(backup.BackupPlace(db, weekly))["VERIFY_AFTER"] == str(
        7 * 86400 - 6 * 3600 - 600
    )
    hourly = BackupSettings("db", "postgres", six_hourly, verify_every_seconds=3600)
    assert backup.script_env(backup.BackupPlace(db, hourly))["VERIFY_AFTER"] == "0"
    for settings in (
        BackupSettings("db", "postgres", verify_every_seconds=7 * 86400),
        BackupSettings("db", "postgres", six_hourly),
        BackupSettings("db", "redis", six_hourly, verify_every_seconds=7 * 86400),
    ):
        assert "VERIFY_AFTER" not in backup.script_env(backup.BackupPlace(db, settings))
