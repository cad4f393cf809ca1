"""Exact renders of the S3 target's commands: settings reach the backup container, secrets only
through the 0600 key env file, never on a command line."""

from dockyard.backups.settings import BackupSettings, S3Target
from dockyard.commands import backup
from dockyard.commands.backup_s3 import key_env, s3_env
from dockyard.config.model import Env
from dockyard.config.settings import Accessory
from dockyard.engine import DOCKER, PODMAN

TARGET = S3Target("http://10.0.0.5:8333", "backups", "S3_ID", "S3_SECRET", prefix="shop/")
KEY_FILE = ".kamal/apps/shop/env/accessories/db-backup-key.env"


def place(target: S3Target = TARGET) -> backup.BackupPlace:
    db = Accessory(name="db", service_name="shop-db", image="postgres:15", hosts=("h",),
                   env=Env(clear={"POSTGRES_USER": "shop"}))  # fmt: skip
    return backup.BackupPlace(db, BackupSettings("db", "postgres", keep=3, s3=target))


def test_the_store_settings_reach_the_backup_container_but_no_secret() -> None:
    rendered = backup.run_backup_container(DOCKER, place(), None, KEY_FILE).render()
    assert (
        " --env S3_URL=http://10.0.0.5:8333/backups --env S3_ENDPOINT=http://10.0.0.5:8333"
        " --env S3_BUCKET=backups --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        f' --env-file "$HOME/{KEY_FILE}"'
    ) in rendered
    assert "S3_ID" not in rendered and "S3_SECRET" not in rendered


def test_virtual_hosted_addressing_puts_the_bucket_in_the_host() -> None:
    target = S3Target("https://s3.example.com", "b-1", "I", "S", path_style=False)
    assert s3_env(target)["S3_URL"] == "https://b-1.s3.example.com"


def test_the_key_file_holds_the_encryption_key_and_the_store_credentials() -> None:
    secrets = {"S3_ID": "id", "S3_SECRET": "sec", "KEY": "k"}
    assert key_env("KEY", TARGET, secrets) == {
        "DOCKYARD_BACKUP_KEY": "k",
        "DOCKYARD_S3_ACCESS_KEY_ID": "id",
        "DOCKYARD_S3_SECRET_ACCESS_KEY": "sec",
    }
    assert key_env(None, None, secrets) == {}


def test_backup_now_with_a_store_uses_the_settings_and_secrets_of_now() -> None:
    assert backup.backup_now(DOCKER, place(), KEY_FILE).render() == (
        "docker exec --env S3_URL=http://10.0.0.5:8333/backups"
        " --env S3_ENDPOINT=http://10.0.0.5:8333 --env S3_BUCKET=backups"
        " --env S3_KEY_PREFIX=shop/ --env S3_REGION=us-east-1"
        f' --env-file "$HOME/{KEY_FILE}" shop-db-backup sh /dockyard/backup.sh'
    )


def test_listing_asks_the_store_then_reads_the_status_files() -> None:
    rendered = backup.list_backups(place(), PODMAN, KEY_FILE).render()
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
    rendered = backup.s3_script(DOCKER, place(), KEY_FILE, "get", "f.pgdump", ".s3-f.pgdump")
    assert rendered.render().endswith("shop-db-backup sh /dockyard/s3.sh get f.pgdump .s3-f.pgdump")
