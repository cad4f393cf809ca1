"""Every lab the end-to-end tests bring up, in one table: its name, its subnet and the group of
tests that use it (one pytest-xdist group per lab, so a lab is only ever used by one worker).

Names and subnets are shifted so that labs never meet:

- per pytest-xdist worker: worker gwW uses index W;
- per checkout: `DOCKYARD_TEST_LABS=N` (0 to 7, default 0) adds N*8, so two checkouts of dockyard
  can run their e2e suites on one machine at once (give the second one `DOCKYARD_TEST_LABS=1`).

A lab at index 0 has the table's own name and subnet (`tdep`, 10.204.0.0/24); at index i it is
`tdep<i>` with 10.204.<i>.0/24. Every base name ends in a letter or is otherwise unambiguous with
a number after it (`tests/unit/test_e2e_lab_names.py` checks that no two (lab, index) pairs share
a name or subnet), and every index is below 64, so each name stays at most 8 characters and the
lab's kernel names (netns `dy-<name>-*`, veth `dy<name>gw`, nft `dy_<name>_guard`) are its name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import pytest

from dockyard import lab as labs
from dockyard.errors import LabError
from dockyard.lab.spec import Engine

SLOTS = 8  # checkouts (DOCKYARD_TEST_LABS=0..7), and xdist workers per checkout (gw0..gw7)
ENV = "DOCKYARD_TEST_LABS"

# key: (name at index 0, second octet of its 10.x.<index>.0/24 subnet). Keys ending in -docker or
# -podman are one package's lab per engine (see engine_params). Bench labs use 10.210, 10.212,
# 10.221-10.223, 10.230-10.231, 10.238 (bench/lb.py) and 10.239 (bench/swarm_update.py); the
# manual lab of docs/lab.md 10.210.
LABS: dict[str, tuple[str, int]] = {
    "lab-docker": ("tdock", 201),  # tests/e2e/test_lab.py
    "lab-podman": ("tpod", 202),
    "lab-bad": ("tbad", 203),
    "lab-side-a": ("tsidea", 208),
    "lab-side-b": ("tsideb", 209),
    "deploy-docker": ("tdep", 204),  # tests/e2e/deploy
    "deploy-podman": ("tdepp", 205),
    "fresh-docker": ("tfr", 218),  # tests/e2e/deploy/test_failures.py, in the deploy groups
    "fresh-podman": ("tfrp", 220),
    "accessory-docker": ("tacc", 207),  # tests/e2e/accessory
    "accessory-podman": ("taccp", 215),
    "s3": ("ts3", 211),  # tests/e2e/accessory/test_s3_backups.py
    "proxied-docker": ("tap", 214),  # tests/e2e/accessory/test_proxied.py
    "proxied-podman": ("tapp", 217),
    "build-docker": ("tbd", 213),  # tests/e2e/build
    "build-podman": ("tbdp", 216),
    "getting-started": ("tgs", 219),  # tests/e2e/test_getting_started.py
    "assets-docker": ("tast", 224),  # tests/e2e/assets
    "assets-podman": ("tastp", 225),
    "prune-docker": ("tpru", 226),  # tests/e2e/deploy/test_prune.py
    "prune-podman": ("tprup", 227),
    "lb-docker": ("tlb", 228),  # tests/e2e/balancer
    "lb-podman": ("tlbp", 229),
    "lb-renew-docker": ("tlbr", 237),  # tests/e2e/balancer/test_renewals.py
    "cron-docker": ("tcron", 232),  # tests/e2e/cron
    "cron-podman": ("tcronp", 233),
    "compose-docker": ("tcmp", 234),  # tests/e2e/compose
    "compose-podman": ("tcmpp", 236),
    "swarm-docker": ("tswm", 235),  # tests/e2e/swarm
    "swarm-tls-docker": ("tswt", 241),  # tests/e2e/swarm/test_swarm_tls.py
    "swarm-compose-docker": ("tswc", 242),  # tests/e2e/swarm/test_swarm_compose.py
}


# Seconds each group's tests took in a measured `make test` (scripts/group-times.py prints them
# from the run's JUnit report, .test-report.xml). pytest-xdist hands out groups in collection
# order, so the e2e tests are collected longest group first (tests/e2e/conftest.py): a long group
# started last would run on alone at the end. A group not listed counts as DEFAULT_SECONDS.
GROUP_SECONDS: dict[str, int] = {
    "deploy-podman": 710,
    "accessory-docker": 647,
    "deploy-docker": 641,
    "cron-docker": 415,  # 332 before the reboot test (about 75 s)
    "accessory-podman": 306,
    "cron-podman": 330,  # 268 before the reboot test ran on Podman too
    "prune-podman": 257,
    "swarm-docker": 340,  # the engine stop, the accessory commands (+45 s), the job (+40 s)
    "prune-docker": 224,
    "build-podman": 189,
    "lb-docker": 250,  # 6 servers, the pool test, the details probe, a WebSocket, keepalived
    "lb-podman": 220,  # the engine stop is Docker's
    "lb-renew-docker": 150,  # measured alone: 140 s (the mover, then the first edge down)
    "swarm-tls-docker": 100,  # measured alone: 94 and 96 s (64 s of them the renewals' wait)
    "build-docker": 162,
    "compose-docker": 120,
    "compose-podman": 116,
    "s3": 91,
    "assets-docker": 60,
    "assets-podman": 59,
    "proxied-podman": 49,
    "swarm-compose-docker": 45,  # measured alone: 42-45 s (5 tests, a Postgres accessory)
    "lab-podman": 43,
    "lab-docker": 41,
    "getting-started": 41,
    "proxied-docker": 41,
    "lab-bad": 21,
    "lab-side": 9,
}
DEFAULT_SECONDS = 120


def group_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    return str(marker.args[0] if marker.args else marker.kwargs.get("name", ""))


def longest_group_first(items: list[pytest.Item]) -> None:
    """Reorder items in place: e2e tests by their group's measured time, longest first, then
    every other test. The sort is stable: the tests of one group keep their order."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("e2e") is None:
            return 1  # after every e2e test: short tests fill the workers at the end
        group = group_of(item)
        return -GROUP_SECONDS.get(group, DEFAULT_SECONDS) if group else -DEFAULT_SECONDS

    items.sort(key=weight)


def index() -> int:
    """This process's lab index: DOCKYARD_TEST_LABS * 8 + the xdist worker's number."""
    raw = os.environ.get(ENV, "0").strip() or "0"
    if not raw.isdigit() or int(raw) >= SLOTS:
        raise pytest.UsageError(f"{ENV}={raw!r}: use a number from 0 to {SLOTS - 1}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = worker.removeprefix("gw")
    if not number.isdigit() or int(number) >= SLOTS:
        raise pytest.UsageError(f"xdist worker {worker}: the e2e labs allow at most -n {SLOTS}")
    return int(raw) * SLOTS + int(number)


def name_and_subnet(key: str, at: int | None = None) -> tuple[str, str]:
    """The lab's name and subnet for this process (or for index `at`)."""
    base, octet = LABS[key]
    i = index() if at is None else at
    return (base if i == 0 else f"{base}{i}", f"10.{octet}.{i}.0/24")


def group(key: str) -> pytest.MarkDecorator:
    """The xdist group of the tests that use this lab (`--dist loadgroup` keeps them on one
    worker, in order, so the lab is made once)."""
    return pytest.mark.xdist_group(key)


def engine_params(package: str) -> list[object]:
    """Params for a lab fixture parametrized by engine: each engine's tests are their own group
    (`<package>-docker`, `<package>-podman`), so the two labs may run side by side."""
    return [pytest.param(e, marks=group(f"{package}-{e}")) for e in ("docker", "podman")]


def lab_unavailable(engine: str = "docker") -> str | None:
    """Why no lab can run here, or None."""
    if not sys.platform.startswith("linux"):
        return "the lab needs Linux"
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    try:
        from dockyard.lab.system import require_tools

        require_tools(engine)
    except LabError as error:
        return str(error)
    probe = f"dy-probe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@contextmanager
def running(key: str, engine: str, servers: int) -> Iterator[labs.LabInfo]:
    """The lab `key` up (a leftover of a crashed run is taken down first), then down again unless
    DOCKYARD_KEEP_LAB is set (to look at it after a failure). Skips where no lab can run."""
    reason = lab_unavailable(engine)
    if reason:
        pytest.skip(reason)
    name, subnet = name_and_subnet(key)
    labs.down(name)
    spec = labs.LabSpec(name=name, subnet=subnet, servers=servers, engine=cast(Engine, engine))
    info = labs.up(spec)
    try:
        yield info
    finally:
        if not os.environ.get("DOCKYARD_KEEP_LAB"):
            labs.down(name)
