"""A build on the builder host: what the builder cannot honour is said once, before the build;
an arch it cannot produce stops it before anything is uploaded."""

from __future__ import annotations

import pytest

from dockyard.commands.build import BuildSpec
from dockyard.engine import DOCKER
from dockyard.errors import BuildError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.delivery.build import build_on_host

CACHED = BuildSpec(tags=("r/app:v1",), service="app", cache_from="type=gha", cache_to="type=gha")


def builder(kind: str) -> FakeTransport:
    return FakeTransport({"uname -m": Reply(stdout=f"{kind}\nx86_64\n")})


async def test_the_cache_on_the_classic_builder_is_reported_once_then_the_build_runs() -> None:
    fake, heard = builder("docker"), []
    await build_on_host(fake, "b1", DOCKER, CACHED, b"tar", {}, heard.append)
    assert heard == [
        "builder/cache is ignored: the classic docker builder (no buildx) cannot use it; "
        "install docker-buildx there (Debian: apt-get install docker-buildx), or remove "
        "builder/cache"
    ]
    assert "docker build --tag r/app:v1" in fake.commands_on("b1")[-1]
    assert "--cache-from" not in fake.commands_on("b1")[-1]


async def test_buildx_takes_the_cache_and_says_nothing() -> None:
    fake, heard = builder("buildx"), []
    await build_on_host(fake, "b1", DOCKER, CACHED, b"tar", {}, heard.append)
    assert heard == []
    assert "--cache-from type=gha --cache-to type=gha" in fake.commands_on("b1")[-1]


async def test_an_arch_the_classic_builder_cannot_produce_stops_before_the_upload() -> None:
    fake = builder("docker")
    spec = BuildSpec(tags=("r/app:v1",), service="app", arches=("arm64",))
    with pytest.raises(BuildError, match=r"cannot build for arm64 without BuildKit; install"):
        await build_on_host(fake, "b1", DOCKER, spec, b"tar", {})
    assert fake.uploads["b1"] == [] and len(fake.commands_on("b1")) == 1
