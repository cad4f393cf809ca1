"""Build commands, exact renders."""

from __future__ import annotations

import pytest

from dockyard.commands import build as commands
from dockyard.commands.build import BuildSpec
from dockyard.engine import DOCKER, PODMAN
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


def test_podman_build_passes_ssh_but_no_buildkit_cache_options() -> None:
    spec = BuildSpec(tags=("a b",), service="shop", dockerfile="web.Dockerfile", context="app",
                     target="prod", ssh="default", cache_from="type=gha", provenance="false",
                     sbom=False)  # fmt: skip
    assert commands.build("podman", spec, "aarch64").render() == (
        "podman build --tag 'a b' --label service=shop --file web.Dockerfile "
        "--platform linux/amd64 --target prod --ssh default app"
    )


def test_the_probe_asks_for_buildx_where_docker_has_the_plugin() -> None:
    assert commands.probe(DOCKER).render() == (
        'mkdir -p "$HOME/.dockyard"; if docker buildx version >/dev/null 2>&1; then echo buildx; '
        "elif docker version >/dev/null 2>&1; then echo docker; else echo none; fi; uname -m"
    )


def test_the_probe_looks_for_podman_itself() -> None:
    assert commands.probe(PODMAN).render() == (
        'mkdir -p "$HOME/.dockyard"; if command -v podman >/dev/null 2>&1; then echo podman; '
        "else echo none; fi; uname -m"
    )


def test_the_build_in_its_context_exact() -> None:
    spec = BuildSpec(tags=("shop:v1",), service="shop", secrets=("A", "B"))
    build = commands.build("podman", spec, "x86_64")
    assert commands.build_in_context("k1", build, ("A", "B")).render() == (
        '( mkdir -p "$HOME/.dockyard/build-k1" && tar -xzf "$HOME/.dockyard/build-k1.tar.gz" '
        '-C "$HOME/.dockyard/build-k1" && cd "$HOME/.dockyard/build-k1" && '
        "IFS= read -r A && export A && IFS= read -r B && export B && "
        "podman build --tag shop:v1 --label service=shop --file Dockerfile "
        "--platform linux/amd64 --secret id=A,env=A --secret id=B,env=B . ); status=$?; "
        'rm -rf "$HOME/.dockyard/build-k1" "$HOME/.dockyard/build-k1.tar.gz"; exit $status'
    )


def test_the_build_in_its_context_without_secrets() -> None:
    build = commands.build("buildx", BuildSpec(tags=("shop:v1",), service="shop"), "x86_64")
    assert commands.build_in_context("k2", build, ()).render() == (
        '( mkdir -p "$HOME/.dockyard/build-k2" && tar -xzf "$HOME/.dockyard/build-k2.tar.gz" '
        '-C "$HOME/.dockyard/build-k2" && cd "$HOME/.dockyard/build-k2" && '
        "docker buildx build --tag shop:v1 --label service=shop --file Dockerfile "
        "--platform linux/amd64 --load . ); status=$?; "
        'rm -rf "$HOME/.dockyard/build-k2" "$HOME/.dockyard/build-k2.tar.gz"; exit $status'
    )


def test_push_to_a_plain_http_registry() -> None:
    # docker trusts the registries its daemon names; podman is told per command
    assert commands.push(DOCKER, "r.lab:5000/shop:v1", plain_http=True).render() == (
        "docker push r.lab:5000/shop:v1"
    )
    assert commands.push(PODMAN, "r.lab:5000/shop:v1", plain_http=True).render() == (
        "podman push --tls-verify=false r.lab:5000/shop:v1"
    )
    assert commands.push(PODMAN, "r.example/shop:v1").render() == "podman push r.example/shop:v1"


def test_service_label_and_remove_image() -> None:
    assert commands.service_label(DOCKER, "shop:v1").render() == (
        "docker image inspect --format '{{index .Config.Labels \"service\"}}' shop:v1"
    )
    assert commands.remove_image(PODMAN, ["shop:v1", "shop:latest"]).render() == (
        "podman image rm --force shop:v1 shop:latest"
    )


def test_settings_a_builder_without_buildkit_cannot_honour_are_named_with_the_fix() -> None:
    spec = BuildSpec(
        tags=("a",), service="s", cache_from="type=gha", cache_to="type=gha", ssh="default",
        provenance="false", sbom=True,
    )  # fmt: skip
    assert commands.ignored_settings("buildx", spec) == ()
    classic = commands.ignored_settings("docker", spec)
    assert [line.split(" ", 1)[0] for line in classic] == [
        "builder/cache", "builder/provenance", "builder/sbom", "builder/ssh"
    ]  # fmt: skip
    assert classic[0] == (
        "builder/cache is ignored: the classic docker builder (no buildx) cannot use it; "
        "install docker-buildx there (Debian: apt-get install docker-buildx), or remove "
        "builder/cache"
    )
    podman = commands.ignored_settings("podman", spec)
    assert [line.split(" ", 1)[0] for line in podman] == [
        "builder/cache", "builder/provenance", "builder/sbom"
    ]  # fmt: skip
    assert podman[0].startswith("builder/cache is ignored: podman builds without BuildKit")
    assert commands.ignored_settings("docker", BuildSpec(tags=("a",), service="s")) == ()
