"""Exact renders of the deploy lock's commands: a directory made atomically by `mkdir`; and the
lock's details as structured data (issue #18): a message can neither forge fields nor be too long
to send."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.commands import lock
from dockyard.commands.lock import MAX_MESSAGE_BYTES, LockDetails, acquire, check_message
from dockyard.errors import UsageError

DETAILS = LockDetails("ann", "2026-11-22T10:00:00Z", "v2", "Automatic deploy lock", "laptop", 4242)


def test_acquire_makes_the_lock_directory_then_writes_the_details_as_base64_json() -> None:
    assert lock.acquire("shop", None, DETAILS).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop" && { '
        "echo eyJsb2NrZWRfYnkiOiAiYW5uIiwgImF0IjogIjIwMjYtMTEtMjJUMTA6MDA6MDBaIiwgInZlcnNpb24iO"
        "iAidjIiLCAibWVzc2FnZSI6ICJBdXRvbWF0aWMgZGVwbG95IGxvY2siLCAibWFjaGluZSI6ICJsYXB0b3AiLCA"
        "icGlkIjogNDI0Mn0= "
        '> "$HOME/.dockyard/lock-shop/details" || { rm -rf "$HOME/.dockyard/lock-shop"; false; }; }'
    )


def test_a_destination_has_its_own_lock() -> None:
    assert lock.acquire("shop", "staging", DETAILS).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop-staging" && { '
        "echo eyJsb2NrZWRfYnkiOiAiYW5uIiwgImF0IjogIjIwMjYtMTEtMjJUMTA6MDA6MDBaIiwgInZlcnNpb24iO"
        "iAidjIiLCAibWVzc2FnZSI6ICJBdXRvbWF0aWMgZGVwbG95IGxvY2siLCAibWFjaGluZSI6ICJsYXB0b3AiLCA"
        "icGlkIjogNDI0Mn0= "
        '> "$HOME/.dockyard/lock-shop-staging/details" || '
        '{ rm -rf "$HOME/.dockyard/lock-shop-staging"; false; }; }'
    )
    assert lock.status("shop", "staging").render() == (
        'test -d "$HOME/.dockyard/lock-shop-staging" && '
        '{ cat "$HOME/.dockyard/lock-shop-staging/details" || true; }'
    )
    assert lock.release("shop", "staging").render() == (
        'rm -f "$HOME/.dockyard/lock-shop-staging/details" && '
        'rm -r "$HOME/.dockyard/lock-shop-staging"'
    )


def run_in_bash(command: str, home: Path, *, limit: str = "") -> subprocess.CompletedProcess[str]:
    """The command as the server's shell runs it, with $HOME at home; `limit` goes first."""
    return subprocess.run(
        ["bash", "-c", f"{limit}{command}"], env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_an_acquire_that_cannot_write_its_details_leaves_no_lock(tmp_path: Path) -> None:
    # a full disk: the details' write fails after mkdir took the lock (here: a file size limit
    # of 0, its signal ignored so that the write fails as on a full disk)
    full = run_in_bash(acquire("shop", None, DETAILS).render(), tmp_path,
                       limit="trap '' XFSZ; ulimit -f 0; ")  # fmt: skip
    assert full.returncode != 0
    assert not (tmp_path / ".dockyard/lock-shop").exists()
    assert run_in_bash(lock.status("shop", None).render(), tmp_path).returncode == 1
    assert run_in_bash(acquire("shop", None, DETAILS).render(), tmp_path).returncode == 0
    held = run_in_bash(lock.status("shop", None).render(), tmp_path)
    assert LockDetails.decode(held.stdout) == DETAILS


def test_a_lock_whose_details_are_gone_is_still_held_by_an_unknown_holder(tmp_path: Path) -> None:
    (tmp_path / ".dockyard/lock-shop").mkdir(parents=True)
    held = run_in_bash(lock.status("shop", None).render(), tmp_path)
    assert (held.returncode, held.stdout) == (0, "")
    assert LockDetails.decode(held.stdout).describe() == (
        "holder unknown (its details file is missing or unreadable)"
    )


def test_status_prints_the_details_and_fails_without_a_lock() -> None:
    assert lock.status("shop", None).render() == (
        'test -d "$HOME/.dockyard/lock-shop" && '
        '{ cat "$HOME/.dockyard/lock-shop/details" || true; }'
    )


def test_release_removes_the_details_then_the_directory() -> None:
    assert lock.release("shop", None).render() == (
        'rm -f "$HOME/.dockyard/lock-shop/details" && rm -r "$HOME/.dockyard/lock-shop"'
    )


def test_any_message_survives_the_shell_as_base64() -> None:
    hostile = LockDetails("Ann O'Neil", "t", "v2", "fix $(rm -rf ~) 'now'", "a b", 7)
    assert lock.acquire("shop", None, hostile).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop" && { '
        "echo eyJsb2NrZWRfYnkiOiAiQW5uIE8nTmVpbCIsICJhdCI6ICJ0IiwgInZlcnNpb24iOiAidjIiLCAibWVzc"
        "2FnZSI6ICJmaXggJChybSAtcmYgfikgJ25vdyciLCAibWFjaGluZSI6ICJhIGIiLCAicGlkIjogN30= "
        '> "$HOME/.dockyard/lock-shop/details" || { rm -rf "$HOME/.dockyard/lock-shop"; false; }; }'
    )
    assert LockDetails.decode(hostile.encode()) == hostile


def test_a_name_with_a_space_stays_inside_the_double_quotes() -> None:
    assert lock.status("a b", None).render() == (
        'test -d "$HOME/.dockyard/lock-a b" && { cat "$HOME/.dockyard/lock-a b/details" || true; }'
    )


def test_a_name_the_double_quotes_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="unsafe characters in a home path"):
        lock.acquire("$(x)", None, DETAILS)


FORGED = "hotfix\nLocked by: mallory at 2001-01-01T00:00:00Z\nVersion: evil\nPid: 1"


def details(message: str = FORGED) -> LockDetails:
    return LockDetails("alice", "2026-01-02T03:04:05Z", "v7", message, "laptop", 4242)


def test_a_message_with_newlines_forges_nothing() -> None:
    back = LockDetails.decode(details().encode())
    assert back == details()


def test_describe_shows_every_field_as_data_on_one_line() -> None:
    assert details().describe() == (
        'locked by alice at 2026-01-02T03:04:05Z for version v7: "hotfix\\nLocked by: mallory '
        'at 2001-01-01T00:00:00Z\\nVersion: evil\\nPid: 1"'
    )
    odd = LockDetails("eve\nLocked by: x", "t", "v1", "ok")
    assert odd.describe() == 'locked by eve\\nLocked by: x at t for version v1: "ok"'


def test_a_long_message_is_cut_when_shown() -> None:
    shown = details("m" * 1000).describe()
    assert shown.endswith('"' + "m" * 200 + '…"')


def test_locks_written_by_earlier_versions_are_read_without_forgery() -> None:
    lines = (
        "Locked by: alice at 2026-01-02T03:04:05Z\nVersion: v7\nMessage: hotfix\n"
        "Locked by: mallory at 2001-01-01T00:00:00Z\nVersion: evil\nMachine: fake\nPid: 1\n"
        "Machine: laptop\nPid: 4242"
    )
    back = LockDetails.decode(base64.b64encode(lines.encode()).decode())
    assert (back.locked_by, back.version, back.machine, back.pid) == ("alice", "v7", "laptop", 4242)


@pytest.mark.parametrize("text", ["", "not base64 !!", base64.b64encode(b"{not json").decode()])
def test_unreadable_details_are_an_unknown_holder(text: str) -> None:
    assert LockDetails.decode(text).locked_by == "unknown"


def test_the_message_limit() -> None:
    check_message("é" * (MAX_MESSAGE_BYTES // 2))
    with pytest.raises(UsageError) as caught:
        check_message("m" * 100_000)
    assert str(caught.value) == (
        "the lock message is 100000 bytes; at most 4096 are kept: shorten it"
    )


def test_the_longest_message_makes_a_command_far_under_linux_argument_limit() -> None:
    command = acquire("app", None, details("m" * MAX_MESSAGE_BYTES)).render()
    assert len(command.encode()) < 16 * 1024


def test_lock_acquire_refuses_a_long_message_before_connecting(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(
        "service: app\nimage: me/app\nregistry: {username: me, password: secret}\n"
        "builder: {arch: amd64}\nservers: [192.0.2.1]\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", "lock", "acquire", "-m", "m" * 100_000],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        2,
        "ERROR (UsageError): the lock message is 100000 bytes; at most 4096 are kept: shorten it\n",
    )
