"""The backup script itself, run by busybox sh and by dash against a real redis-server on the
loopback: atomic files, checksums, retention, and a failure that keeps every earlier backup."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.commands.backup_scripts import BACKUP_SH

pytestmark = pytest.mark.e2e
SHELLS = [s for s in (["busybox", "sh"], ["dash"]) if shutil.which(s[0])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[int]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (Debian's redis-server)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(tmp_path), "--requirepass", "pw"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            ping = subprocess.run(["redis-cli", "-p", str(port), "-a", "pw", "--no-auth-warning",
                                   "ping"], capture_output=True, text=True)  # fmt: skip
            if ping.stdout.strip() == "PONG":
                break
            time.sleep(0.05)
        subprocess.run(["redis-cli", "-p", str(port), "-a", "pw", "--no-auth-warning", "set",
                        "k", "v"], check=True, capture_output=True)  # fmt: skip
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_backup(
    shell: list[str], tmp: Path, port: int, password: str = "pw", key: str = ""
) -> subprocess.CompletedProcess[str]:
    """The script with /backups and redis-cli pointed at this machine's directory and server."""
    backups, bin_dir = tmp / "backups", tmp / "bin"
    backups.mkdir(exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "redis-cli"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("redis-cli")} -p {port} "$@"\n')
    wrapper.chmod(0o755)
    script = tmp / "backup.sh"
    script.write_text(BACKUP_SH.replace("dir=/backups", f"dir={backups}"))
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "KIND": "redis", "PREFIX": "c",
           "EXT": "rdb", "KEEP": "2", "MAX_AGE": "", "DB_HOST": "127.0.0.1",
           "REDIS_PASSWORD": password, "DOCKYARD_BACKUP_KEY": key}  # fmt: skip
    return subprocess.run([*shell, str(script)], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_backups_are_whole_checksummed_and_pruned(shell: list[str], tmp_path: Path,
                                                  redis: int) -> None:  # fmt: skip
    for _ in range(3):
        done = run_backup(shell, tmp_path, redis)
        assert done.returncode == 0, done.stderr
        time.sleep(1.1)  # names carry the second
    backups = tmp_path / "backups"
    files = sorted(p.name for p in backups.iterdir())
    dumps = [f for f in files if f.endswith(".rdb")]
    assert len(dumps) == 2  # keep: 2, the oldest went
    assert not [f for f in files if "partial" in f]
    for dump in dumps:
        manifest = json.loads((backups / f"{dump}.json").read_text())
        data = (backups / dump).read_bytes()
        assert data.startswith(b"REDIS")
        assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest["size"] == len(data)
    assert (backups / ".last-success").read_text().split()[1] == dumps[-1]


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_a_failed_backup_keeps_the_good_ones(shell: list[str], tmp_path: Path,
                                             redis: int) -> None:  # fmt: skip
    assert run_backup(shell, tmp_path, redis).returncode == 0
    before = sorted(p.name for p in (tmp_path / "backups").iterdir() if p.suffix == ".rdb")
    done = run_backup(shell, tmp_path, redis, password="wrong")
    assert done.returncode == 1
    assert "backup failed:" in done.stderr and "WRONGPASS" in done.stderr
    after = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert [f for f in after if f.endswith(".rdb")] == before
    assert not [f for f in after if "partial" in f]
    assert "WRONGPASS" in (tmp_path / "backups" / ".last-failure").read_text()


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_with_a_key_only_ciphertext_is_written(shell: list[str], tmp_path: Path,
                                               redis: int) -> None:  # fmt: skip
    done = run_backup(shell, tmp_path, redis, key="k3y")
    assert done.returncode == 0, done.stderr
    dump = next(p for p in (tmp_path / "backups").iterdir() if p.suffix == ".rdb")
    assert dump.read_bytes().startswith(b"Salted__")
    manifest = json.loads(Path(f"{dump}.json").read_text())
    assert manifest["encrypted"] is True
    assert manifest["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()
    plain = subprocess.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "200000", "-pass",
         "pass:k3y", "-in", str(dump)], capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert plain.startswith(b"REDIS")
