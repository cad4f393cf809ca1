"""The backup script with an S3 target, run by busybox sh against a real
redis-server and a real S3-compatible store (SeaweedFS) on the loopback: uploads only a whole,
checked file, retention in the store, a download that matches, and failures (wrong secret
key, unreachable store) that keep every earlier backup."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.commands.backup_s3 import S3_SH
from dockyard.commands.backup_scripts import BACKUP_SH

from ..s3store import Store, storage_classes, store_at
from .test_backup_script import SHELLS, free_port

# busybox sh is what the lab's images run; dash (Debian's images) when busybox is missing
SHELL = SHELLS[:1]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """redis-server on the loopback, sending its snapshot at once (no 5 s replica wait)."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (Debian's redis-server)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(tmp_path_factory.mktemp("redis")), "--requirepass", "pw",
         "--repl-diskless-sync-delay", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            cli = ["redis-cli", "-p", str(port), "-a", "pw", "--no-auth-warning"]
            if subprocess.run([*cli, "set", "k", "v"], capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with store_at("127.0.0.1", tmp_path_factory.mktemp("seaweedfs")) as found:
        yield found


def run(
    shell: list[str], tmp: Path, port: int, store: Store, prefix: str, *args: str,
    secret: str | None = None, endpoint: str | None = None, key: str = "", keep: int = 2,
    max_age: str = "", extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """backup.sh (no args) or s3.sh ARGS, with /backups and /dockyard pointed at tmp."""
    backups, bin_dir = tmp / "backups", tmp / "bin"
    backups.mkdir(exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "redis-cli"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("redis-cli")} -p {port} "$@"\n')
    wrapper.chmod(0o755)
    (tmp / "s3.sh").write_text(S3_SH.replace("dir=/backups", f"dir={backups}"))
    (tmp / "backup.sh").write_text(
        BACKUP_SH.replace("dir=/backups", f"dir={backups}").replace(
            "/dockyard/s3.sh", str(tmp / "s3.sh")
        )
    )
    endpoint = endpoint or store.endpoint
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "KIND": "redis", "PREFIX": "c",
           "EXT": "rdb", "KEEP": str(keep), "MAX_AGE": max_age, "DB_HOST": "127.0.0.1",
           "REDIS_PASSWORD": "pw", "DOCKYARD_BACKUP_KEY": key,
           "S3_URL": f"{endpoint}/{store.bucket}", "S3_ENDPOINT": endpoint,
           "S3_BUCKET": store.bucket, "S3_KEY_PREFIX": prefix, "S3_REGION": "us-east-1",
           "DOCKYARD_S3_ACCESS_KEY_ID": store.access_key,
           "DOCKYARD_S3_SECRET_ACCESS_KEY": secret or store.secret_key,
           **(extra or {})}  # fmt: skip
    script = [str(tmp / "s3.sh"), *args] if args else [str(tmp / "backup.sh")]
    return subprocess.run([*shell, *script], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("shell", SHELL, ids=[s[0] for s in SHELL])
def test_backups_reach_the_store_whole_and_are_pruned_there(
    shell: list[str],
    tmp_path: Path,
    redis: int,
    store: Store,
) -> None:
    prefix = f"t/{shell[0]}/"
    for _ in range(3):
        done = run(shell, tmp_path, redis, store, prefix)
        assert done.returncode == 0, done.stderr
        time.sleep(1.1)  # names carry the second
    keys = store.keys(prefix)
    dumps = [k for k in keys if k.endswith(".rdb")]
    assert len(dumps) == 2 and {f"{d}.json" for d in dumps} <= set(keys)  # keep: 2, in the store
    # the directory was only where the backup was made: nothing is left in it but the status
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [".last-success"]
    listed = run(shell, tmp_path, redis, store, prefix, "list")
    assert listed.returncode == 0, listed.stderr
    manifests = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [m["file"] for m in manifests] == sorted((d.rsplit("/", 1)[1] for d in dumps),
                                                    reverse=True)  # fmt: skip
    newest = manifests[0]
    data = store.get(f"{prefix}{newest['file']}")
    assert data.startswith(b"REDIS") and hashlib.sha256(data).hexdigest() == newest["sha256"]
    fetched = run(shell, tmp_path, redis, store, prefix, "get", newest["file"], "here.rdb")
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "backups" / "here.rdb").read_bytes() == data


@pytest.mark.parametrize("shell", SHELL, ids=[s[0] for s in SHELL])
def test_a_wrong_secret_or_an_unreachable_store_keeps_every_backup(
    shell: list[str],
    tmp_path: Path,
    redis: int,
    store: Store,
) -> None:
    prefix = f"f/{shell[0]}/"
    assert run(shell, tmp_path, redis, store, prefix, key="k3y").returncode == 0
    before = store.keys(prefix)
    assert len(before) == 2
    encrypted = store.get(before[0])
    assert encrypted.startswith(b"Salted__") and b"REDIS" not in encrypted
    wrong = run(shell, tmp_path, redis, store, prefix, secret="not-the-secret")
    assert wrong.returncode == 1
    line = wrong.stderr.strip()
    assert "\n" not in line and "SignatureDoesNotMatch" in line, line
    assert "not-the-secret" not in line and store.secret_key not in line
    closed = f"http://127.0.0.1:{free_port()}"
    away = run(shell, tmp_path, redis, store, prefix, endpoint=closed)
    assert away.returncode == 1
    assert f"the store at {closed} cannot be reached" in away.stderr
    assert "\n" not in away.stderr.strip()
    assert store.keys(prefix) == before  # nothing replaced, nothing deleted
    left = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert left == [".last-failure", ".last-success"]  # no dump or partial file left behind
    assert "cannot be reached" in (tmp_path / "backups" / ".last-failure").read_text()


@pytest.mark.parametrize("shell", SHELL, ids=[s[0] for s in SHELL])
def test_max_age_prunes_old_backups_in_the_store_but_never_the_newest(
    shell: list[str], tmp_path: Path, redis: int, store: Store
) -> None:
    prefix = f"a/{shell[0]}/"
    assert run(shell, tmp_path, redis, store, prefix, keep=9, max_age="2").returncode == 0
    first = store.keys(prefix)
    time.sleep(3.1)  # the first backup is now older than max_age (2 s)
    done = run(shell, tmp_path, redis, store, prefix, keep=9, max_age="2")
    assert done.returncode == 0, done.stderr
    now = store.keys(prefix)
    assert len(now) == 2 and not set(first) & set(now)  # the old one went, the new one is there
    time.sleep(2.1)  # now the newest is older than max_age too: it stays all the same
    pruned = run(shell, tmp_path, redis, store, prefix, "prune", keep=9, max_age="1")
    assert pruned.returncode == 0, pruned.stderr
    assert store.keys(prefix) == now


@pytest.mark.parametrize("shell", SHELL, ids=[s[0] for s in SHELL])
def test_the_storage_class_goes_with_the_upload_or_to_backups_once_old_enough(
    shell: list[str], tmp_path: Path, redis: int, store: Store
) -> None:
    """storage_class alone: each backup is uploaded in it. With storage_class_after: a backup
    that old (by the time in its name) is copied onto itself in the class after the next
    upload; newer ones and every manifest stay STANDARD."""
    prefix = f"sc/{shell[0]}/"
    upload = {"S3_UPLOAD_CLASS": "STANDARD_IA"}
    assert run(shell, tmp_path, redis, store, prefix, keep=9, extra=upload).returncode == 0
    (dump,) = [k for k in store.keys(prefix) if k.endswith(".rdb")]
    assert storage_classes(store, prefix) == {dump: "STANDARD_IA", f"{dump}.json": "STANDARD"}
    prefix = f"sca/{shell[0]}/"
    old = "c-20200101T000000Z.rdb"
    (tmp_path / "backups" / old).write_bytes(b"REDIS-old")
    (tmp_path / "backups" / f"{old}.json").write_text(json.dumps({"file": old}) + "\n")
    assert run(shell, tmp_path, redis, store, prefix, "put", old).returncode == 0
    later = {"S3_STORAGE_CLASS": "STANDARD_IA", "S3_CLASS_AFTER": str(30 * 86400)}
    done = run(shell, tmp_path, redis, store, prefix, keep=9, extra=later)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    (new,) = [k for k in store.keys(prefix) if k.endswith(".rdb") and old not in k]
    assert storage_classes(store, prefix) == {
        f"{prefix}{old}": "STANDARD_IA", f"{prefix}{old}.json": "STANDARD",
        new: "STANDARD", f"{new}.json": "STANDARD",
    }  # fmt: skip
    assert store.get(f"{prefix}{old}") == b"REDIS-old"  # the copy is whole, and reads at once
