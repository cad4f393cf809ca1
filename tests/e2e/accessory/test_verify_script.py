"""The scheduled verify script itself, run by busybox sh and by dash with Debian's Postgres 15 on
this machine (as root, the way the backup container runs it): the newest backup loads into a
throwaway server whose rows match the dump; a damaged one is recorded as failed with why; and
`verify.sh due` says when the schedule should verify again; schedule.sh runs it after a good
scheduled backup when the config asks for it (VERIFY_AFTER) and a verify is due."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.commands.backup_scripts import SCHEDULE_SH, shell_sets
from dockyard.commands.backup_verify import VERIFY_SH
from dockyard.config.cron import parse_cron

pytestmark = pytest.mark.e2e
SHELLS = [s for s in (["busybox", "sh"], ["dash"]) if shutil.which(s[0])]
PG_BIN = "/usr/lib/postgresql/15/bin"
GOOD = "c-20261204T000000Z.pgdump"
NEWER = "c-20261205T000000Z.pgdump"


def as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True,
                   capture_output=True, timeout=60)  # fmt: skip


def open_directory() -> Path:
    """A directory the postgres user can reach (pytest's are root's alone)."""
    made = Path(tempfile.mkdtemp(prefix="dockyard-verify-test-"))
    made.chmod(0o755)
    return made


@pytest.fixture(scope="module")
def dump() -> Iterator[bytes]:
    """A custom-format dump of two tables: 500 rows and none."""
    if not os.path.isfile(f"{PG_BIN}/pg_ctl") or os.geteuid() != 0:
        pytest.skip("needs root and Debian's postgresql-15 (scripts/install-system.sh)")
    src = open_directory()
    shutil.chown(src, "postgres")
    as_postgres(f"{PG_BIN}/initdb -D {src}/d -U otto -A trust --no-sync > /dev/null && "
                f"{PG_BIN}/pg_ctl -D {src}/d -o \"-c listen_addresses='' -k {src}\" -w start "
                "> /dev/null")  # fmt: skip
    try:
        psql = [f"{PG_BIN}/psql", "-h", str(src), "-U", "otto", "-d", "postgres", "-c"]
        subprocess.run([*psql, "create table orders as select generate_series(1, 500) id; "
                        "create table empty (x int)"], check=True, capture_output=True)  # fmt: skip
        made = subprocess.run([f"{PG_BIN}/pg_dump", "-h", str(src), "-U", "otto", "-Fc",
                               "postgres"], check=True, capture_output=True).stdout  # fmt: skip
    finally:
        as_postgres(f"{PG_BIN}/pg_ctl -D {src}/d -m immediate stop > /dev/null")
        shutil.rmtree(src)
    yield made


@pytest.fixture
def scratch() -> Iterator[Path]:
    """The script, and where the throwaway server lives (TMPDIR: tmp)."""
    made = open_directory()
    (made / "tmp").mkdir(mode=0o755)
    yield made
    shutil.rmtree(made)


def put(
    backups: Path, name: str, content: bytes, sha256: str = "", encrypted: bool = False
) -> None:
    (backups / name).write_bytes(content)
    manifest = {"file": name, "kind": "postgres", "size": len(content), "created": 1,
                "sha256": sha256 or hashlib.sha256(content).hexdigest(), "entries": 0,
                "encrypted": encrypted}  # fmt: skip
    (backups / f"{name}.json").write_text(json.dumps(manifest) + "\n")


def verify(
    shell: list[str], tmp: Path, scratch: Path, *args: str, after: str = "", key: str = ""
) -> subprocess.CompletedProcess[str]:
    """verify.sh with /backups and /dockyard pointed at this machine's directories."""
    script = scratch / "verify.sh"  # the postgres user runs it too
    script.write_text(VERIFY_SH.replace("dir=/backups", f"dir={tmp / 'backups'}")
                      .replace("/dockyard/verify.sh", str(script)))  # fmt: skip
    env = {"PATH": f"{PG_BIN}:{os.environ['PATH']}", "KIND": "postgres", "PREFIX": "c",
           "EXT": "pgdump", "VERIFY_AFTER": after, "TMPDIR": str(scratch / "tmp"),
           "DOCKYARD_BACKUP_KEY": key}  # fmt: skip
    return subprocess.run([*shell, str(script), *args], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def recorded(tmp: Path) -> str:
    return (tmp / "backups" / ".last-verify").read_text().split(" ", 1)[1].strip()


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_the_newest_backup_is_restored_and_its_rows_match(
    shell: list[str], tmp_path: Path, scratch: Path, dump: bytes
) -> None:
    (tmp_path / "backups").mkdir()
    assert verify(shell, tmp_path, scratch, "due", after="0").returncode == 0  # none recorded
    put(tmp_path / "backups", GOOD, dump)
    done = verify(shell, tmp_path, scratch)
    assert done.returncode == 0, done.stderr
    assert recorded(tmp_path) == f"ok {GOOD} (scheduled: 2 table(s), 500 row(s) match)"
    assert verify(shell, tmp_path, scratch, "due", after="3600").returncode == 1  # just passed
    assert verify(shell, tmp_path, scratch, "due", after="0").returncode == 0
    assert list((scratch / "tmp").iterdir()) == []  # the throwaway server's files are gone


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_a_damaged_newest_backup_is_recorded_as_failed_with_why(
    shell: list[str], tmp_path: Path, scratch: Path, dump: bytes
) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    put(backups, GOOD, dump)
    put(backups, NEWER, dump[:300])  # cut short, with a manifest that matches what is left
    assert verify(shell, tmp_path, scratch).returncode == 1
    assert recorded(tmp_path).startswith(f"failed {NEWER}: the dump cannot be read: pg_restore")
    assert verify(shell, tmp_path, scratch, "due", after="3600").returncode == 0  # due again
    put(backups, NEWER, dump, sha256="0" * 64)
    assert verify(shell, tmp_path, scratch).returncode == 1
    assert recorded(tmp_path) == f"failed {NEWER}: its sha256 does not match its manifest"
    for name in (NEWER, f"{NEWER}.json", GOOD, f"{GOOD}.json"):
        (backups / name).unlink()
    assert verify(shell, tmp_path, scratch).returncode == 1
    assert recorded(tmp_path) == "failed the newest backup: no backup to verify"
    assert list((scratch / "tmp").iterdir()) == []


def run_schedule(
    shell: list[str], tmp: Path, *, verify_after: str, backup_ok: bool, due: bool = True
) -> str:
    """schedule.sh for one tick at 03:00 UTC (`date` and `sleep` as shell functions, which
    busybox's own applets cannot shadow from PATH; the second sleep stops the loop), with
    backup.sh and verify.sh stand-ins that log how they are called."""
    log = tmp / "calls"
    stubs = {
        "backup.sh": f"echo backup >> {log}; exit {0 if backup_ok else 1}",
        "verify.sh": f'echo "verify $*" >> {log}; [ "${{1:-}}" != due ] || exit {0 if due else 1}',
    }
    for name, body in stubs.items():
        (tmp / name).write_text(f"#!/bin/sh\n{body}\n")
    clock = (
        'date() { if [ "$2" = +%S ]; then echo 00; else echo "00 03 04 12 5"; fi; }\n'
        f"sleep() {{ n=$(cat {tmp}/slept 2>/dev/null || echo 0); echo $((n + 1)) > {tmp}/slept;"
        ' if [ "$n" -ge 1 ]; then kill -TERM $$; fi; }\n'
    )
    script = clock + (SCHEDULE_SH.replace("/dockyard/backup.sh", str(tmp / "backup.sh"))
                      .replace("/dockyard/verify.sh", str(tmp / "verify.sh"))
                      .replace("/backups/", f"{tmp}/"))  # fmt: skip
    env = {"PATH": os.environ["PATH"], "VERIFY_AFTER": verify_after,
           **shell_sets(parse_cron("0 3 * * *"))}  # fmt: skip
    done = subprocess.run([*shell, "-c", script], env=env, capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize("shell", SHELLS, ids=[s[0] for s in SHELLS])
def test_the_schedule_verifies_after_a_good_backup_when_asked_and_due(
    shell: list[str], tmp_path: Path
) -> None:
    asked = tmp_path / "asked"
    asked.mkdir()
    assert run_schedule(shell, asked, verify_after="600", backup_ok=True) == (
        "backup\nverify due\nverify \n"
    )
    failed = tmp_path / "failed"
    failed.mkdir()
    assert run_schedule(shell, failed, verify_after="600", backup_ok=False) == "backup\n"
    unasked = tmp_path / "unasked"
    unasked.mkdir()
    assert run_schedule(shell, unasked, verify_after="", backup_ok=True) == "backup\n"
    passed = tmp_path / "passed"  # the last verify is recent: only asked whether one is due
    passed.mkdir()
    done = run_schedule(shell, passed, verify_after="600", backup_ok=True, due=False)
    assert done == "backup\nverify due\n"


def test_an_encrypted_backup_is_decrypted_with_the_key_before_it_loads(
    tmp_path: Path, scratch: Path, dump: bytes
) -> None:
    """As backup.sh encrypts (openssl AES-256-CBC, PBKDF2): the right key loads it, a wrong one
    is recorded as failed with why."""
    (tmp_path / "backups").mkdir()
    sealed = subprocess.run(
        ["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-iter", "200000", "-salt", "-pass",
         "env:K"], input=dump, env={**os.environ, "K": "k3y"}, capture_output=True, check=True,
    ).stdout  # fmt: skip
    put(tmp_path / "backups", GOOD, sealed, encrypted=True)
    done = verify(SHELLS[0], tmp_path, scratch, key="k3y")
    assert done.returncode == 0, done.stderr
    assert recorded(tmp_path) == f"ok {GOOD} (scheduled: 2 table(s), 500 row(s) match)"
    assert verify(SHELLS[0], tmp_path, scratch, key="wrong").returncode == 1
    assert recorded(tmp_path) == f"failed {GOOD}: it does not decrypt with the key"
    assert list((scratch / "tmp").iterdir()) == []  # the decrypted copy is gone too
