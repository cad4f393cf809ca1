"""The build plan from a config: the builder's address, the build spec, `build dev`."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.build import BuildSpec
from dockyard.errors import BuildError
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


def spec_of(tmp_path: Path, builder: str) -> BuildSpec:
    (tmp_path / "deploy.yml").write_text(
        "service: shop\nimage: team/shop\nservers: [1.1.1.1]\n"
        "registry: {server: r.example, username: u, password: p}\n"
        f"builder:\n  arch: amd64\n{builder}"
    )
    return build_spec(load_config(str(tmp_path / "deploy.yml"), destination=None, version="v9"))


def test_cache_options_and_image(tmp_path: Path) -> None:
    # the cache image is on the registry server, as Kamal's cache_image_ref names it
    spec = spec_of(tmp_path, "  cache: {type: registry, image: cache, options: mode=max}\n")
    assert spec.cache_from == "type=registry,ref=r.example/cache"
    assert spec.cache_to == "type=registry,ref=r.example/cache,mode=max"
    spec = spec_of(tmp_path, "  cache: {type: gha, options: mode=min}\n")
    assert (spec.cache_from, spec.cache_to) == ("type=gha", "type=gha,mode=min")


def test_target_ssh_provenance_and_sbom(tmp_path: Path) -> None:
    spec = spec_of(
        tmp_path, "  target: app\n  ssh: default\n  provenance: mode=max\n  sbom: true\n"
    )
    assert (spec.target, spec.ssh, spec.provenance, spec.sbom) == (
        "app",
        "default",
        "mode=max",
        True,
    )
    spec = spec_of(tmp_path, "  provenance: false\n")
    assert (spec.target, spec.ssh, spec.provenance, spec.sbom) == (None, None, "false", None)
