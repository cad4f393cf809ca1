"""One lab of one server for the accessory tests, with the lab's database images: on Docker,
then on Podman. Podman runs the core tests (boot, exec, logs, reboot, start/stop, Postgres backup,
restore and verify, the faults); the slow or engine-neutral ones (`docker_only`) run on Docker
only. The two labs share a name and subnet: pytest takes the Docker one down before the Podman
one comes up."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..conftest import lab_unavailable
from .harness import write_app

NAME, SUBNET = "tacc", "10.207.0.0/24"


@pytest.fixture(scope="package", params=["docker", "podman"])
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    reason = lab_unavailable(request.param)
    if reason:
        pytest.skip(reason)
    labs.down(NAME)
    info = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=1, engine=request.param))
    try:
        yield info
    finally:
        if not os.environ.get("DOCKYARD_KEEP_LAB"):
            labs.down(NAME)


@pytest.fixture
def docker_only(lab: labs.LabInfo) -> None:
    """Tests that add little on a second engine for their time (the schedule's minutes, the full
    disk, other kinds whose commands are the same on both)."""
    if lab.engine != "docker":
        pytest.skip("runs on Docker only (slow, or no engine-specific step)")


@pytest.fixture(scope="package")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    images = ensure_db_images(lab)
    return write_app(tmp_path_factory.mktemp("shop"), lab, images)


def ssh(lab: labs.LabInfo, command: str) -> subprocess.CompletedProcess[str]:
    host = lab.servers[0].name
    return subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="package")
def booted(app: Path, lab: labs.LabInfo) -> Path:
    """Both accessories booted, Postgres accepting connections."""
    from .harness import dockyard, ok

    ok(app, "accessory", "boot", "all")
    for _ in range(120):
        ready = dockyard(app, "accessory", "exec", "db", "--reuse", "pg_isready -h 127.0.0.1")
        if ready.returncode == 0:
            return app
        import time

        time.sleep(0.5)
    raise AssertionError(f"Postgres did not become ready: {ready.stdout} {ready.stderr}")
