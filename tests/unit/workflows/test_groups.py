"""boot.limit and boot.wait as Kamal reads them."""

from __future__ import annotations

import pytest

from dockyard.errors import ConfigError
from dockyard.workflows.groups import BootPacing, boot_pacing, host_groups, resolve_limit

HOSTS = ["h1", "h2", "h3", "h4", "h5"]


def test_no_limit_is_one_group_and_no_wait() -> None:
    assert boot_pacing(None, 10, host_count=5) == BootPacing(limit=None, wait=0.0)
    assert host_groups(HOSTS, None) == [tuple(HOSTS)]


def test_a_number_cuts_hosts_into_groups_in_order() -> None:
    assert host_groups(HOSTS, 2) == [("h1", "h2"), ("h3", "h4"), ("h5",)]
    assert host_groups(HOSTS, 9) == [tuple(HOSTS)]
    assert host_groups([], 2) == []


@pytest.mark.parametrize(
    ("limit", "host_count", "size"),
    [("25%", 8, 2), ("25%", 10, 2), ("50%", 5, 2), ("10%", 3, 1), ("100%", 4, 4), ("0%", 4, 1)],
)
def test_a_percentage_is_of_host_count_rounded_down_at_least_one(
    limit: str, host_count: int, size: int
) -> None:
    assert resolve_limit(limit, host_count) == size


def test_wait_defaults_to_sshkits_two_seconds_when_a_limit_is_set() -> None:
    assert boot_pacing(2, None, host_count=5) == BootPacing(limit=2, wait=2.0)
    assert boot_pacing("3", 0, host_count=5) == BootPacing(limit=3, wait=0.0)
    assert boot_pacing("40%", 7.5, host_count=5) == BootPacing(limit=2, wait=7.5)


def test_a_number_in_a_string_is_a_number() -> None:
    assert resolve_limit("25", 4) == 25


@pytest.mark.parametrize("limit", ["abc", "-1", 0, -2, True, "2.5%"])
def test_bad_limits_are_config_errors(limit: int | str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_limit(limit, 4)
    assert caught.value.key == "boot/limit"


def test_negative_wait_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="boot/wait: should not be negative"):
        boot_pacing(2, -1, host_count=4)
