"""Exact renders of the backup commands."""

import pytest

from dockyard.backups.settings import BackupSettings, S3Target
from dockyard.commands import backup
from dockyard.config.model import Env
from dockyard.config.settings import Accessory
from dockyard.engine import DOCKER, PODMAN
from dockyard.plan.backup_schedule import parse_cron


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
    from dockyard.backups.settings import BackupSettings as Settings

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
        'last-failure; do [ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
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
