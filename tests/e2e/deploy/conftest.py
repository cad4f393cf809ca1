"""The lab both deploy test modules share: one per engine, two servers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..labs import engine_params, running
from .harness import write_app


@pytest.fixture(scope="package", params=engine_params("deploy"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"deploy-{request.param}", request.param, servers=2) as info:
        yield info


@pytest.fixture(scope="package")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp(f"app-{lab.engine}"), lab)


def ssh(lab: labs.LabInfo, host: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, timeout=60
    )
