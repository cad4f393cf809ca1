"""The lab the build tests share: servers, the builder host, the registry; once with docker,
then with podman (x-dockyard.runtime: the builder builds with it too). One name for both: pytest
finishes the docker lab before it makes the podman one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dockyard import lab as labs
from tests.e2e.conftest import lab_unavailable

NAME, SUBNET = "tbd", "10.213.0.0/24"


@pytest.fixture(scope="package", params=["docker", "podman"])
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    reason = lab_unavailable(request.param)
    if reason:
        pytest.skip(reason)
    labs.down(NAME)
    info = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=2, engine=request.param))
    try:
        yield info
    finally:
        if not os.environ.get("DOCKYARD_KEEP_LAB"):  # keep it to look at after a failure
            labs.down(NAME)
