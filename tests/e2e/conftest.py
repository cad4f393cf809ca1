"""The lab for end-to-end tests: `lab_factory(name, subnet, servers, engine[, images])` brings
one up (images: build and push the test images, the default).

Session-scoped: a lab asked for twice (same name and shape) is made once; every lab it made is
taken down at the end of the session, and a leftover from a crashed run is taken down first.
Tests skip, with the reason, where a lab cannot run (not Linux, not root, no netns, a package
missing). Use lab names starting with `t` and subnets no one else uses. Every test under
tests/e2e is marked `e2e`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

from dockyard import lab as labs
from dockyard.errors import LabError
from dockyard.lab.down import recorded_hosts_alive
from dockyard.lab.spec import Engine

LabFactory = Callable[..., labs.LabInfo]


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e `e2e` (so `make unit` never brings up a lab)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def lab_factory() -> Iterator[LabFactory]:
    made: dict[str, tuple[labs.LabSpec, labs.LabInfo]] = {}

    def make(
        name: str, subnet: str, servers: int = 3, engine: str = "docker", images: bool = True
    ) -> labs.LabInfo:
        reason = lab_unavailable(engine)
        if reason:
            pytest.skip(reason)
        spec = labs.LabSpec(name=name, subnet=subnet, servers=servers, engine=cast(Engine, engine))
        known = made.get(name)
        reusable = known and known[0] == spec and (known[1].images or not images)
        if known and reusable and recorded_hosts_alive(spec.lab_dir):
            return known[1]
        labs.down(name)  # a leftover of a crashed run, or a lab of another shape
        made.pop(name, None)
        info = labs.up(spec, build_images=images)
        made[name] = (spec, info)
        return info

    try:
        yield make
    finally:
        for name in made:
            labs.down(name)
