"""The lab the build tests share: servers, the builder host, the registry; once with docker,
then with podman (x-dockyard.runtime: the builder builds with it too). Two labs
(`build-docker`, `build-podman` in tests/e2e/labs.py), two xdist groups: they may run side by
side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dockyard import lab as labs

from ..labs import engine_params, running


@pytest.fixture(scope="package", params=engine_params("build"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"build-{request.param}", request.param, servers=2) as info:
        yield info
