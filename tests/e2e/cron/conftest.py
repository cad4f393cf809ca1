"""The lab of the scheduled-job tests: one server and the builder; once with docker, then with
podman (`cron-docker`, `cron-podman` in tests/e2e/labs.py: two xdist groups)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dockyard import lab as labs

from ..labs import engine_params, running


@pytest.fixture(scope="package", params=engine_params("cron"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"cron-{request.param}", request.param, servers=1) as info:
        yield info
