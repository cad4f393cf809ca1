"""The lab of the scheduled-job tests: one server and the builder; once with docker, then with
podman (`cron-docker`, `cron-podman` in tests/e2e/labs.py: two xdist groups)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard import lab as labs

from ..cli import dockyard
from ..labs import engine_params, running


@pytest.fixture(scope="package", params=engine_params("cron"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"cron-{request.param}", request.param, servers=1) as info:
        yield info


def ssh(lab: labs.LabInfo, command: str) -> str:
    """The command's output on the lab's server (it must succeed)."""
    done = subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].ip, command],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def runs(app: Path, job: str | None = None) -> list[dict[str, Any]]:
    """`dockyard cron runs [JOB] --json`: the records, oldest first."""
    done = dockyard(app, "cron", "runs", *([job] if job else []), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found
