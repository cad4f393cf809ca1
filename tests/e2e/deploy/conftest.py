"""The lab both deploy test modules share: one per engine, two servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from .harness import write_app

LABS = {"docker": ("tdep", "10.204.0.0/24"), "podman": ("tdepp", "10.205.0.0/24")}


@pytest.fixture(scope="package", params=["docker", "podman"])
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("the lab needs Linux and root")
    name, subnet = LABS[request.param]
    labs.down(name)
    info = labs.up(labs.LabSpec(name=name, subnet=subnet, servers=2, engine=request.param))
    try:
        yield info
    finally:
        if not os.environ.get("DOCKYARD_KEEP_LAB"):  # keep it to look at after a failure
            labs.down(name)


@pytest.fixture(scope="package")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp(f"app-{lab.engine}"), lab)


def ssh(lab: labs.LabInfo, host: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, timeout=60
    )
