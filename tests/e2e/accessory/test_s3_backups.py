"""Backups in an S3-compatible store, on a real server: a Postgres accessory backs up (encrypted)
into SeaweedFS, lists, restores and verifies from the store; credentials never show; a wrong
secret key and an unreachable store each fail with one clear line and lose nothing; the
schedule reaches the store with dockyard not connected.

The store runs on this machine at the lab's gateway address, where the servers reach it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..conftest import LabFactory
from ..labs import group, name_and_subnet
from ..s3store import Store, store_at
from .harness import BACKUP_KEY, PG_PASSWORD, backup_name, dockyard, ok, psql

pytestmark = [pytest.mark.e2e, group("s3")]
PREFIX = "shop/db/"
STAGE = ".dockyard/backups/shop-db"  # where a backup is made before the upload


@pytest.fixture(scope="module")
def lab(lab_factory: LabFactory) -> Iterator[labs.LabInfo]:
    name, subnet = name_and_subnet("s3")
    yield lab_factory(name, subnet, servers=1)
    labs.down(name)  # now, not at the session's end: its backup schedule runs every minute


@pytest.fixture(scope="module")
def store(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    gateway = lab.registry.rsplit(":", 1)[0]
    with store_at(gateway, tmp_path_factory.mktemp("seaweedfs")) as found:
        yield found


def ssh(lab: labs.LabInfo, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].name, command],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def write_app(root: Path, lab: labs.LabInfo, image: str, endpoint: str) -> None:
    host = lab.servers[0].ip
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(f"""service: shop
image: demo
servers:
  web:
    hosts:
      - {host}
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
accessories:
  db:
    image: {image}
    host: {host}
    env:
      clear:
        POSTGRES_USER: shop
        POSTGRES_DB: shop
      secret:
        - POSTGRES_PASSWORD
    directories:
      - data:/var/lib/postgresql/data
x-dockyard:
  runtime: docker
  backups:
    db:
      kind: postgres
      schedule: "* * * * *"
      keep: 20
      encryption_key: BACKUP_KEY
      target:
        s3:
          endpoint: {endpoint}
          bucket: dockyard-backups
          prefix: {PREFIX}
          access_key_id: S3_ACCESS_KEY_ID
          secret_access_key: S3_SECRET_ACCESS_KEY
""")


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Postgres booted with its backups going to the store."""
    root = tmp_path_factory.mktemp("shop-s3")
    write_app(root, lab, ensure_db_images(lab)["postgres"], store.endpoint)
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nPOSTGRES_PASSWORD={PG_PASSWORD}\nBACKUP_KEY={BACKUP_KEY}\n"
        f"S3_ACCESS_KEY_ID={store.access_key}\nS3_SECRET_ACCESS_KEY={store.secret_key}\n"
    )
    ok(root, "accessory", "boot", "db")
    ready = ["accessory", "exec", "db", "--reuse", "pg_isready -h 127.0.0.1"]
    for _ in range(120):
        if dockyard(root, *ready).returncode == 0:
            return root
        time.sleep(0.5)
    raise AssertionError("Postgres did not become ready")


def test_backup_list_restore_and_verify_through_the_store(
    app: Path, lab: labs.LabInfo, store: Store
) -> None:
    psql(app, "create table orders(id int primary key, item text)")
    psql(app, "insert into orders select g, 'item ' || g from generate_series(1, 5000) g")
    made = backup_name(ok(app, "accessory", "backup", "db"))
    assert {f"{PREFIX}{made}", f"{PREFIX}{made}.json"} <= set(store.keys(PREFIX))
    # encrypted before it left the server: the store holds only ciphertext
    stored = store.get(f"{PREFIX}{made}")
    assert stored.startswith(b"Salted__") and b"PGDMP" not in stored
    plain = subprocess.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "200000", "-pass",
         f"pass:{BACKUP_KEY}"], input=stored, capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert plain.startswith(b"PGDMP")
    # nothing stays on the server's disk: the directory was where the backup was made
    assert "pgdump" not in ssh(lab, f"ls -a {STAGE}").stdout
    listing = ok(app, "accessory", "backups", "db")
    assert made in listing and " ago" in listing and " KB" in listing
    psql(app, "drop table orders")
    restored = ok(app, "accessory", "restore", "db", made, "-y")
    assert f"{made} restored into shop" in restored
    assert psql(app, "select count(*), max(item) from orders") == "5000|item 999"
    verified = ok(app, "accessory", "verify", "db", made)
    assert f"{made} verified (encrypted; decrypted with its key)" in verified
    assert "5000 row(s) match" in verified
    # the downloaded and decrypted copies are gone; the store still has the backup
    assert ".s3-" not in ssh(lab, f"ls -a {STAGE}").stdout
    assert ".plain-" not in ssh(lab, f"ls -a {STAGE}").stdout
    assert f"{PREFIX}{made}" in store.keys(PREFIX)


def test_the_credentials_never_show(app: Path, lab: labs.LabInfo, store: Store) -> None:
    """Not in `ps` while curl talks to the store, not in the accessory's `docker inspect`, not in
    logs or dockyard's output."""
    secret = store.secret_key
    watch = "rm -f /tmp/ps.txt; while [ -f /tmp/watch ]; do ps -eo args >> /tmp/ps.txt; done"
    seen_curl = False
    outputs = []
    for _ in range(5):  # until ps caught curl at work at least once
        ssh(lab, "touch /tmp/watch")
        watcher = subprocess.Popen(["ssh", "-F", lab.ssh_config, lab.servers[0].name, watch])
        try:
            done = dockyard(app, "accessory", "backup", "db", "--verbose")
            outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, done.stderr
            outputs.append(ok(app, "accessory", "backups", "db"))
        finally:
            ssh(lab, "rm -f /tmp/watch")
            watcher.wait(timeout=30)
        ps = ssh(lab, "cat /tmp/ps.txt").stdout
        assert secret not in ps and store.access_key not in ps
        if "curl" in ps:
            seen_curl = True
            break
    assert seen_curl, "ps never caught curl at work"
    for text in outputs:
        assert secret not in text and store.access_key not in text
    inspect = ssh(lab, "docker inspect shop-db").stdout
    assert inspect and secret not in inspect and store.access_key not in inspect
    logs = ssh(lab, f"docker logs shop-db-backup 2>&1; cat {STAGE}/.schedule.log "
                    f"{STAGE}/.last-* 2>/dev/null").stdout  # fmt: skip
    assert secret not in logs and store.access_key not in logs
    key_file = ".kamal/apps/shop/env/accessories/db-backup-key.env"
    assert ssh(lab, f"stat -c %a {key_file}").stdout.strip() == "600"


def test_a_wrong_secret_or_an_unreachable_store_loses_nothing(
    app: Path, lab: labs.LabInfo, store: Store
) -> None:
    before = set(store.keys(PREFIX))
    assert before
    secrets = app / ".kamal" / "secrets"
    original = secrets.read_text()
    secrets.write_text(original.replace(store.secret_key, "wrong-secret-key"))
    try:
        done = dockyard(app, "accessory", "backup", "db")
    finally:
        secrets.write_text(original)
    assert done.returncode != 0
    assert "SignatureDoesNotMatch" in done.stderr and "earlier backups are untouched" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "wrong-secret-key" not in done.stderr
    config = app / "config" / "deploy.yml"
    deploy = config.read_text()
    closed = store.endpoint.rsplit(":", 1)[0] + ":9"  # nothing listens on the discard port
    config.write_text(deploy.replace(store.endpoint, closed))
    try:
        done = dockyard(app, "accessory", "backup", "db")
        listed = dockyard(app, "accessory", "backups", "db")
    finally:
        config.write_text(deploy)
    assert done.returncode != 0
    assert f"the store at {closed} cannot be reached" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert listed.returncode != 0 and "cannot be reached" in listed.stderr
    assert before <= set(store.keys(PREFIX))  # every earlier backup is still there
    # no partial file either: one left by the failed backups would stay; the schedule's own
    # (every minute) is there only while it makes and uploads its backup, a few seconds
    deadline = time.monotonic() + 45
    while "pgdump" in (staged := ssh(lab, f"ls -a {STAGE}").stdout):
        assert time.monotonic() < deadline, staged
        time.sleep(1)


def test_the_schedule_reaches_the_store_while_dockyard_is_away(
    app: Path, lab: labs.LabInfo, store: Store
) -> None:
    """Every minute, the backup container uploads on its own (booted at the module's start;
    dockyard connects only to read the log)."""
    log = f"{STAGE}/.schedule.log"

    def runs() -> list[str]:
        out = ssh(lab, f"cat {log} 2>/dev/null").stdout.split()
        return [w for w in out if w.startswith("shop-db-") and w.endswith(".pgdump")]

    deadline = time.monotonic() + 75  # the first minute boundary since the boot
    scheduled = runs()
    while time.monotonic() < deadline and not scheduled:
        time.sleep(2)
        scheduled = runs()
    assert scheduled, ssh(lab, f"tail -5 {log}").stdout
    assert f"{PREFIX}{scheduled[-1]}" in store.keys(PREFIX)
    assert "shop-db-backup running" in ok(app, "accessory", "details", "db")
