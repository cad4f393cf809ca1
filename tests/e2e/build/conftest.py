"""The lab the build tests share: docker servers, the builder host, the registry."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dockyard import lab as labs
from tests.e2e.conftest import lab_unavailable

NAME, SUBNET = "tbld", "10.206.0.0/24"


@pytest.fixture(scope="package")
def lab() -> Iterator[labs.LabInfo]:
    reason = lab_unavailable("docker")
    if reason:
        pytest.skip(reason)
    labs.down(NAME)
    info = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=2, engine="docker"))
    try:
        yield info
    finally:
        if not os.environ.get("DOCKYARD_KEEP_LAB"):  # keep it to look at after a failure
            labs.down(NAME)
