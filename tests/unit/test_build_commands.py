"""Build commands and the build plan from a config, exact renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands import build as commands
from dockyard.commands.build import BuildSpec
from dockyard.errors import BuildError, CommandFailed, Result
from dockyard.loading import load_config
from dockyard.plan.build import (
    RemoteBuilder,
    TreeChanges,
    build_spec,
    check_dev_output,
    dev_spec,
    dev_tags,
    parse_remote,
    tree_changes,
)
from dockyard.workflows.delivery.deliver import registry_error

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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ssh://root@10.0.0.9", RemoteBuilder("root", "10.0.0.9", None)),
        ("ssh://builder.example:2222", RemoteBuilder(None, "builder.example", 2222)),
    ],
)
def test_remote_builder_addresses(url: str, expected: RemoteBuilder) -> None:
    assert parse_remote(url) == expected


def test_a_tcp_remote_is_not_an_ssh_builder() -> None:
    with pytest.raises(BuildError, match="not an ssh:// address"):
        parse_remote("tcp://10.0.0.9:2375")


def test_the_build_spec_from_a_config(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(
        "service: shop\nimage: team/shop\nservers: [1.1.1.1]\n"
        "registry: {server: r.example, username: u, password: p}\n"
        "builder:\n  arch: [amd64]\n  dockerfile: web.Dockerfile\n  context: .\n"
        "  args: {A: 1}\n  secrets: [TOKEN]\n  cache: {type: registry}\n"
    )
    config = load_config(str(tmp_path / "deploy.yml"), destination=None, version="v9")
    spec = build_spec(config, no_cache=True)
    assert spec.tags == ("r.example/team/shop:v9", "r.example/team/shop:latest")
    assert (spec.dockerfile, spec.context, spec.args, spec.secrets) == (
        "web.Dockerfile", ".", {"A": "1"}, ("TOKEN",),
    )  # fmt: skip
    assert spec.cache_from == "type=registry,ref=r.example/team/shop-build-cache"
    assert spec.no_cache


def test_a_refused_registry_login_says_to_check_the_credentials() -> None:
    refused = "Error response from daemon: Get http://r.example/v2/: unauthorized: incorrect"
    result = Result("10.0.0.9", "docker login ...", 1, "", refused)
    error = registry_error("10.0.0.9", CommandFailed(result))
    assert str(error) == (
        "10.0.0.9: the registry refused the login; check registry.username and "
        "registry.password (and the secret they name)"
    )


def test_another_push_failure_gives_its_last_line() -> None:
    result = Result("b", "docker push x", 1, "", "The push refers to x\nno space left on device")
    assert str(registry_error("b", CommandFailed(result))) == (
        "b: the push failed: no space left on device"
    )


def test_build_dev_tags_version_and_latest_dirty(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(
        "service: shop\nimage: team/shop\nservers: [1.1.1.1]\n"
        "registry: {server: r.example, username: u, password: p}\nbuilder: {arch: amd64}\n"
    )
    config = load_config(str(tmp_path / "deploy.yml"), destination=None, version="abc123")
    assert dev_tags(config) == (
        "r.example/team/shop:abc123-dirty",
        "r.example/team/shop:latest-dirty",
    )
    spec = dev_spec(config)
    assert spec.tags == dev_tags(config) and spec.service == "shop"


def test_build_dev_outputs_docker_or_registry_only() -> None:
    assert check_dev_output("docker") == "docker"
    assert check_dev_output("registry") == "registry"
    with pytest.raises(BuildError, match=r"supports docker .* and registry"):
        check_dev_output("tar")


def test_working_tree_changes_split_changed_from_untracked() -> None:
    porcelain = " M app/release\nA  app/new.rb\nR  old.txt -> new.txt\n D gone.txt\n?? notes.txt\n"
    changes = tree_changes(porcelain)
    assert changes.uncommitted == ("app/new.rb", "app/release", "gone.txt", "new.txt")
    assert changes.untracked == ("notes.txt",)
    assert tree_changes("") == TreeChanges((), ())
