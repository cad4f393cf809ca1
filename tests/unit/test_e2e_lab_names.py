"""The e2e labs' names and subnets (tests/e2e/labs.py): no two labs, at any worker or checkout
index, share a name, a kernel name or a subnet."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from dockyard.lab import spec as specs
from tests.e2e import labs


def every_lab() -> list[tuple[str, int, str, str]]:
    return [
        (key, i, *labs.name_and_subnet(key, at=i))
        for key in labs.LABS
        for i in range(labs.SLOTS * labs.SLOTS)
    ]


def test_no_two_labs_share_a_name_a_tag_or_a_subnet() -> None:
    found = every_lab()
    names = [name for _, _, name, _ in found]
    assert len(set(names)) == len(found)
    assert len({specs.tag(name) for name in names}) == len(found)
    nets = sorted(ipaddress.ip_network(subnet) for *_, subnet in found)
    assert all(not a.overlaps(b) for a, b in itertools.pairwise(nets))


def test_names_are_valid_and_their_kernel_names_are_the_names() -> None:
    for _, _, name, subnet in every_lab():
        specs.validate_name(name)
        specs.network(subnet)
        assert specs.tag(name) == name  # at most 8 of [a-z0-9]: readable in `ip netns list`
        assert name.startswith("t")


def test_index_zero_is_the_tables_own_name_and_the_next_shifts_both() -> None:
    assert labs.name_and_subnet("deploy-docker", at=0) == ("tdep", "10.204.0.0/24")
    assert labs.name_and_subnet("deploy-docker", at=9) == ("tdep9", "10.204.9.0/24")


def test_the_index_is_the_checkout_slot_and_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_TEST_LABS", "2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert labs.index() == 19
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    monkeypatch.delenv("DOCKYARD_TEST_LABS")
    assert labs.index() == 0
    monkeypatch.setenv("DOCKYARD_TEST_LABS", "8")
    with pytest.raises(pytest.UsageError, match="DOCKYARD_TEST_LABS='8': use a number from 0"):
        labs.index()
    monkeypatch.setenv("DOCKYARD_TEST_LABS", "0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw8")
    with pytest.raises(pytest.UsageError, match="at most -n 8"):
        labs.index()
