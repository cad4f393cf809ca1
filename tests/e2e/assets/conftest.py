"""The lab the asset-bridging tests share: two servers and the builder; once with docker, then
with podman (`assets-docker`, `assets-podman` in tests/e2e/labs.py: two xdist groups)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dockyard import lab as labs

from ..labs import engine_params, running


@pytest.fixture(scope="package", params=engine_params("assets"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"assets-{request.param}", request.param, servers=2) as info:
        yield info
