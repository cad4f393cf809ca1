"""One lab of one server for the accessory tests, with the lab's database images: on Docker,
then on Podman. Podman runs the core tests (boot, exec, logs, reboot, start/stop, Postgres backup,
restore and verify, the faults); the slow or engine-neutral ones (`docker_only`) run on Docker
only. The two labs (`accessory-docker`, `accessory-podman` in tests/e2e/labs.py) are two xdist
groups, so they may run side by side."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..labs import engine_params, running
from .harness import write_app


@pytest.fixture(scope="package", params=engine_params("accessory"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"accessory-{request.param}", request.param, servers=1) as info:
        yield info


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
