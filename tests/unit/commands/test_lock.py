"""Exact renders of the deploy lock's commands: a directory made atomically by `mkdir`."""

import pytest

from dockyard.commands import lock
from dockyard.commands.lock import LockDetails

DETAILS = LockDetails("ann", "2026-11-22T10:00:00Z", "v2", "Automatic deploy lock", "laptop", 4242)


def test_acquire_makes_the_lock_directory_then_writes_the_details_base64() -> None:
    assert lock.acquire("shop", None, DETAILS).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop" && '
        "echo TG9ja2VkIGJ5OiBhbm4gYXQgMjAyNi0xMS0yMlQxMDowMDowMFoKVmVyc2lvbjogdjIKTWVzc2FnZTogQX"
        "V0b21hdGljIGRlcGxveSBsb2NrCk1hY2hpbmU6IGxhcHRvcApQaWQ6IDQyNDI= "
        '> "$HOME/.dockyard/lock-shop/details"'
    )


def test_a_destination_has_its_own_lock() -> None:
    assert lock.acquire("shop", "staging", DETAILS).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop-staging" && '
        "echo TG9ja2VkIGJ5OiBhbm4gYXQgMjAyNi0xMS0yMlQxMDowMDowMFoKVmVyc2lvbjogdjIKTWVzc2FnZTogQX"
        "V0b21hdGljIGRlcGxveSBsb2NrCk1hY2hpbmU6IGxhcHRvcApQaWQ6IDQyNDI= "
        '> "$HOME/.dockyard/lock-shop-staging/details"'
    )
    assert lock.status("shop", "staging").render() == (
        'test -d "$HOME/.dockyard/lock-shop-staging" && '
        'cat "$HOME/.dockyard/lock-shop-staging/details"'
    )
    assert lock.release("shop", "staging").render() == (
        'rm -f "$HOME/.dockyard/lock-shop-staging/details" && '
        'rm -r "$HOME/.dockyard/lock-shop-staging"'
    )


def test_status_prints_the_details_and_fails_without_a_lock() -> None:
    assert lock.status("shop", None).render() == (
        'test -d "$HOME/.dockyard/lock-shop" && cat "$HOME/.dockyard/lock-shop/details"'
    )


def test_release_removes_the_details_then_the_directory() -> None:
    assert lock.release("shop", None).render() == (
        'rm -f "$HOME/.dockyard/lock-shop/details" && rm -r "$HOME/.dockyard/lock-shop"'
    )


def test_any_message_survives_the_shell_as_base64() -> None:
    hostile = LockDetails("Ann O'Neil", "t", "v2", "fix $(rm -rf ~) 'now'", "a b", 7)
    assert lock.acquire("shop", None, hostile).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop" && '
        "echo TG9ja2VkIGJ5OiBBbm4gTydOZWlsIGF0IHQKVmVyc2lvbjogdjIKTWVzc2FnZTogZml4ICQocm0gLXJmIH"
        "4pICdub3cnCk1hY2hpbmU6IGEgYgpQaWQ6IDc= "
        '> "$HOME/.dockyard/lock-shop/details"'
    )
    assert LockDetails.decode(hostile.encode()) == hostile


def test_a_name_with_a_space_stays_inside_the_double_quotes() -> None:
    assert lock.status("a b", None).render() == (
        'test -d "$HOME/.dockyard/lock-a b" && cat "$HOME/.dockyard/lock-a b/details"'
    )


def test_a_name_the_double_quotes_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="unsafe characters in a home path"):
        lock.acquire("$(x)", None, DETAILS)
