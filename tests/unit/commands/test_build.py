"""Build commands, exact renders."""

from __future__ import annotations

import pytest

from dockyard.commands import build as commands
from dockyard.commands.build import BuildSpec
from dockyard.errors import BuildError

SPEC = BuildSpec(tags=("shop:v1", "shop:latest"), service="shop", args={"GREETING": "hola"})


def test_classic_docker_build() -> None:
    assert commands.build("docker", SPEC, "x86_64").render() == (
        "docker build --tag shop:v1 --tag shop:latest --label service=shop --file Dockerfile "
        "--build-arg GREETING=hola ."
    )


def test_buildx_build_loads_the_image_and_passes_buildkit_options() -> None:
    spec = BuildSpec(
        tags=("shop:v1",), service="shop", secrets=("TOKEN",), target="prod", ssh="default",
        cache_from="type=gha", cache_to="type=gha", provenance="false", sbom=True,
    )  # fmt: skip
    assert commands.build("buildx", spec, "x86_64").render() == (
        "docker buildx build --tag shop:v1 --label service=shop --file Dockerfile "
        "--platform linux/amd64 --load --target prod --secret id=TOKEN,env=TOKEN --ssh default "
        "--cache-from type=gha --cache-to type=gha --provenance=false --sbom=true ."
    )


def test_podman_build_for_two_arches_with_a_secret() -> None:
    spec = BuildSpec(tags=("shop:v1",), service="shop", arches=("amd64", "arm64"),
                     secrets=("TOKEN",), no_cache=True)  # fmt: skip
    assert commands.build("podman", spec, "x86_64").render() == (
        "podman build --tag shop:v1 --label service=shop --file Dockerfile "
        "--platform linux/amd64,linux/arm64 --secret id=TOKEN,env=TOKEN --no-cache ."
    )


def test_classic_docker_refuses_secrets_and_foreign_arches_naming_the_fixes() -> None:
    with pytest.raises(BuildError, match=r"build secrets need BuildKit.*docker-buildx"):
        commands.build("docker", BuildSpec(tags=("a",), service="s", secrets=("T",)), "x86_64")
    with pytest.raises(BuildError, match=r"\(amd64\) cannot build for arm64"):
        commands.build("docker", BuildSpec(tags=("a",), service="s", arches=("arm64",)), "x86_64")


def test_the_build_reads_secrets_from_stdin_and_always_removes_the_context() -> None:
    build = commands.build("podman", BuildSpec(tags=("a",), service="s", secrets=("T",)), "x")
    rendered = commands.build_in_context("k1", build, ("T",)).render()
    directory, archive = '"$HOME/.dockyard/build-k1"', '"$HOME/.dockyard/build-k1.tar.gz"'
    assert rendered == (
        f"( mkdir -p {directory} && tar -xzf {archive} -C {directory} && cd {directory} && "
        f"IFS= read -r T && export T && {build.render()} ); status=$?; "
        f"rm -rf {directory} {archive}; exit $status"
    )


def test_an_unknown_arch_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(BuildError, match="builder/arch: unknown arch 'amd65'; use one of amd64"):
        commands.check_arches(["amd65"])
