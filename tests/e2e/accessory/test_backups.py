"""Backups you can trust, on a real server: back up, break, restore; verify good and bad files;
faults (wrong password, full disk, a connected app) lose nothing; the schedule runs on its own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dockyard import lab as labs

from .conftest import ssh
from .harness import backup_name, dockyard, ok, psql, redis

pytestmark = pytest.mark.e2e
BACKUPS = ".dockyard/backups/shop-db"


def test_postgres_backup_drop_restore_brings_the_rows_back(booted: Path) -> None:
    psql(booted, "create table orders(id int primary key, item text)")
    psql(booted, "insert into orders select g, 'item ' || g from generate_series(1, 5000) g")
    made = backup_name(ok(booted, "accessory", "backup", "db"))
    assert made.startswith("shop-db-") and made.endswith(".pgdump")
    listing = ok(booted, "accessory", "backups", "db")
    assert made in listing and " ago" in listing
    psql(booted, "drop table orders")
    restored = ok(booted, "accessory", "restore", "db", made, "-y")
    assert "the data before is kept as database shop__before_restore_" in restored
    assert psql(booted, "select count(*), max(item) from orders") == "5000|item 999"
    kept = psql(booted, "select datname from pg_database where datname like 'shop__before%'")
    assert kept.startswith("shop__before_restore_")


@pytest.mark.usefixtures("docker_only")
def test_redis_backup_flush_restore_brings_the_keys_back(booted: Path, lab: labs.LabInfo) -> None:
    redis(booted, "set", "greeting", "hello")
    redis(booted, "rpush", "queue", "a", "b", "c")
    made = backup_name(ok(booted, "accessory", "backup", "cache"))
    # with an encryption key, only ciphertext is on the disk (and the key in a 0600 file)
    stored = ssh(lab, f"head -c 8 .dockyard/backups/shop-cache/{made}").stdout
    assert stored == "Salted__"
    assert ssh(lab, f"grep -c hello .dockyard/backups/shop-cache/{made} || true").stdout == "0\n"
    key_file = ".kamal/apps/shop/env/accessories/cache-backup-key.env"
    assert ssh(lab, f"stat -c %a {key_file}").stdout.strip() == "600"
    redis(booted, "flushall")
    assert redis(booted, "dbsize") == "0"
    assert "dump.rdb.before-restore-" in ok(booted, "accessory", "restore", "cache", made, "-y")
    assert redis(booted, "get", "greeting") == "hello"
    assert redis(booted, "lrange", "queue", "0", "-1") == "a\nb\nc"
    verified = ok(booted, "accessory", "verify", "cache", made)
    assert "(encrypted; decrypted with its key)" in verified and "2 key(s)" in verified
    assert ".plain-" not in ssh(lab, "ls -a .dockyard/backups/shop-cache").stdout


@pytest.mark.usefixtures("docker_only")
def test_an_encrypted_backup_with_the_wrong_key_changes_nothing(
    booted: Path, lab: labs.LabInfo
) -> None:
    made = backup_name(ok(booted, "accessory", "backup", "cache"))
    secrets = booted / ".kamal" / "secrets"
    original = secrets.read_text()
    secrets.write_text(original.replace("BACKUP_KEY=backup-key", "BACKUP_KEY=wrong-key"))
    try:
        done = dockyard(booted, "accessory", "restore", "cache", made, "-y")
        assert done.returncode != 0
        assert f"{made} cannot be decrypted with the key BACKUP_KEY" in done.stderr
        assert "nothing was changed" in done.stderr
    finally:
        secrets.write_text(original)
    assert redis(booted, "get", "greeting") == "hello"
    assert ".plain-" not in ssh(lab, "ls -a .dockyard/backups/shop-cache").stdout


def test_restore_refuses_while_the_app_is_connected(booted: Path, lab: labs.LabInfo) -> None:
    made = backup_name(ok(booted, "accessory", "backup", "db"))
    psql(booted, "insert into orders values (999999, 'after the backup')")
    ssh(lab, f"{lab.engine} exec -d shop-db psql -U shop -d shop -c 'select pg_sleep(120)'")
    time.sleep(1)
    done = dockyard(booted, "accessory", "restore", "db", made, "-y")
    assert done.returncode != 0
    assert "session(s) are connected to database shop" in done.stderr
    assert "nothing was changed" in done.stderr
    assert psql(booted, "select item from orders where id = 999999") == "after the backup"
    # --force disconnects them and restores
    ok(booted, "accessory", "restore", "db", made, "-y", "--force")
    assert psql(booted, "select count(*) from orders where id = 999999") == "0"


def test_verify_passes_on_a_good_backup(booted: Path, lab: labs.LabInfo) -> None:
    made = backup_name(ok(booted, "accessory", "backup", "db"))
    out = ok(booted, "accessory", "verify", "db", made)
    assert f"{made} verified" in out and "5000 row(s) match" in out
    # the throwaway is gone
    assert "verify" not in ssh(lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'").stdout


def test_verify_fails_loudly_on_a_truncated_backup(booted: Path, lab: labs.LabInfo) -> None:
    made = backup_name(ok(booted, "accessory", "backup", "db"))
    path = f"{BACKUPS}/{made}"
    ssh(lab, f"cp {path} /tmp/whole && head -c 4000 /tmp/whole > {path}")
    done = dockyard(booted, "accessory", "verify", "db", made)
    assert done.returncode != 0
    assert "is damaged or truncated" in done.stderr
    # restore reads the checksum while the dump loads aside: the database stays as it was
    done = dockyard(booted, "accessory", "restore", "db", made, "-y")
    assert done.returncode != 0 and "is damaged or truncated" in done.stderr
    assert psql(booted, "select count(*) from orders") == "5000"
    assert psql(booted, "select count(*) from pg_database where datname = 'shop__restoring'") == "0"
    # a truncated file whose manifest was rewritten to match still fails: it does not load
    fix_manifest = (
        f"sum=$(sha256sum {path} | cut -d' ' -f1) && "
        f'sed -i "s/\\"sha256\\": \\"[0-9a-f]*\\"/\\"sha256\\": \\"$sum\\"/" {path}.json'
    )
    assert ssh(lab, fix_manifest).returncode == 0
    done = dockyard(booted, "accessory", "verify", "db", made)
    assert done.returncode != 0
    assert "verify FAILED" in done.stderr
    assert "verify" not in ssh(lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'").stdout
    # and restore refuses it, leaving the database as it was
    done = dockyard(booted, "accessory", "restore", "db", made, "-y")
    assert done.returncode != 0 and "database shop is as it was" in done.stderr
    assert psql(booted, "select count(*) from orders") == "5000"


@pytest.mark.usefixtures("docker_only")
def test_a_failed_dump_keeps_every_good_backup(booted: Path, lab: labs.LabInfo) -> None:
    good = backup_name(ok(booted, "accessory", "backup", "db"))
    psql(booted, "alter user shop password 'changed'")  # the backup's password is now wrong
    try:
        done = dockyard(booted, "accessory", "backup", "db")
        assert done.returncode != 0
        assert "password authentication failed" in done.stderr
        assert "earlier backups are untouched" in done.stderr
        assert "WARNING: the last backup failed" in ok(booted, "accessory", "details", "db")
    finally:
        psql(booted, "alter user shop password 'pg-s3cret-never-shown'")
    assert good in ok(booted, "accessory", "backups", "db")
    assert ssh(lab, f"ls -a {BACKUPS} | grep -c partial || true").stdout.strip() == "0"
    assert "verified" in ok(booted, "accessory", "verify", "db", good)


@pytest.mark.usefixtures("docker_only")
def test_a_full_disk_fails_the_dump_and_leaves_no_partial_file(
    booted: Path, lab: labs.LabInfo
) -> None:
    psql(booted, "create table bulk as select g, md5(g::text) || md5((g * 7)::text) as t "
                 "from generate_series(1, 100000) g")  # fmt: skip
    # a small disk over the backup directory (the backups so far are under it, unharmed);
    # the backup container, made again by reboot, writes to it
    ssh(lab, f"{lab.engine} rm -f shop-db-backup && mount -t tmpfs -o size=256k tmpfs {BACKUPS}")
    try:
        ok(booted, "accessory", "reboot", "db")
        done = dockyard(booted, "accessory", "backup", "db")
        assert done.returncode != 0
        assert "writing the dump into the backup directory failed, is its disk full?" in (
            done.stderr
        )
        assert ssh(lab, f"ls -A {BACKUPS} | grep -v '^\\.last-failure$' | grep -v schedule"
                   " || true").stdout.strip() == ""  # fmt: skip
    finally:
        ssh(lab, f"{lab.engine} rm -f shop-db-backup; umount {BACKUPS}")
        ok(booted, "accessory", "reboot", "db")
        psql(booted, "drop table if exists bulk")
    assert ok(booted, "accessory", "backups", "db").count(".pgdump") >= 1


@pytest.mark.usefixtures("docker_only")
def test_the_schedule_backs_up_while_dockyard_is_away_and_keeps_three(
    booted: Path, lab: labs.LabInfo
) -> None:
    """keep: 3 and a schedule of every minute: after three scheduled runs only the three newest
    backups are left, each made by the server on its own."""
    log = f"{BACKUPS}/.schedule.log"
    start = int(ssh(lab, f"cat {log} 2>/dev/null | grep -c pgdump || true").stdout.strip() or 0)
    deadline = time.monotonic() + 240
    runs = 0
    while time.monotonic() < deadline:
        out = ssh(lab, f"grep -c pgdump {log} || true").stdout.strip()
        runs = int(out or 0) - start
        if runs >= 3:
            break
        time.sleep(5)
    assert runs >= 3, ssh(lab, f"tail -5 {log}").stdout
    names = ssh(lab, f"ls {BACKUPS} | grep 'pgdump$'").stdout.split()
    assert len(names) == 3
    scheduled = ssh(lab, f"grep pgdump {log} | tail -3 | cut -d' ' -f1").stdout.split()
    assert names == sorted(scheduled)
    assert "WARNING" not in ok(booted, "accessory", "details", "db")
