"""Exact renders of the S3 target's commands and env: settings reach the backup container, secrets
only through the 0600 key env file, never on a command line (the backup commands that use them:
test_backup.py)."""

from dockyard.commands.backup_s3 import exec_script, key_env, s3_env
from dockyard.config.backups import S3Target
from dockyard.engine import DOCKER, PODMAN

TARGET = S3Target("http://10.0.0.5:8333", "backups", "S3_ID", "S3_SECRET", prefix="shop/")


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


def test_a_script_runs_with_the_env_given_now_and_the_key_file() -> None:
    env = {"S3_URL": "http://10.0.0.5:8333/backups", "S3_KEY_PREFIX": "a b/"}
    key_file = ".kamal/apps/shop/env/accessories/db-backup-key.env"
    assert exec_script(
        DOCKER, "shop-db-backup", env, key_file, "/dockyard/s3.sh", "list"
    ).render() == (
        "docker exec --env S3_URL=http://10.0.0.5:8333/backups --env 'S3_KEY_PREFIX=a b/'"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db-backup-key.env"'
        " shop-db-backup sh /dockyard/s3.sh list"
    )


def test_a_script_without_a_key_file_on_podman() -> None:
    assert exec_script(PODMAN, "c", {}, None, "/dockyard/backup.sh").render() == (
        "podman exec c sh /dockyard/backup.sh"
    )
