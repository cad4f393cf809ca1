"""load_config on real files and a real git checkout: destinations, ERB, versions, hooks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dockyard.errors import ConfigError
from dockyard.loading import config_files, load_config
from tests.unit.config.conftest import BASE

APP = BASE + "servers: [1.1.1.1]\n"
GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]


def write_app(root: Path, text: str = APP, **destinations: str) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "deploy.yml").write_text(text)
    for name, extra in destinations.items():
        (root / "config" / f"deploy.{name}.yml").write_text(extra)
    return root


def commit(root: Path) -> str:
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "t"], cwd=root, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    return head.stdout.strip()


def test_destination_file_name_follows_kamal() -> None:
    assert config_files("config/deploy.yml", None) == ["config/deploy.yml"]
    assert config_files("config/deploy.yml", "eu") == ["config/deploy.yml", "config/deploy.eu.yml"]
    assert config_files("other/app.yaml", "eu")[1] == "other/app.eu.yml"


def test_version_order_flag_then_env_then_git(tmp_path: Path) -> None:
    head = commit(write_app(tmp_path))
    assert load_config(root=tmp_path, version="flag", env={"VERSION": "env"}).version == "flag"
    assert load_config(root=tmp_path, env={"VERSION": "env"}).version == "env"
    assert load_config(root=tmp_path, env={}).version == head


def test_dirty_tree_suffix_only_when_building_from_the_working_tree(tmp_path: Path) -> None:
    head = commit(write_app(tmp_path))
    (tmp_path / "new-file").write_text("dirty")
    assert load_config(root=tmp_path, env={}).version == head  # a clean git clone is built
    with_context = APP.replace("  arch: amd64\n", "  arch: amd64\n  context: .\n")
    (tmp_path / "config" / "deploy.yml").write_text(with_context)
    first = load_config(root=tmp_path, env={}).version
    second = load_config(root=tmp_path, env={}).version
    assert re.fullmatch(rf"{head}_uncommitted_[0-9a-f]{{16}}", first)
    assert first != second  # random, as in Kamal


def no_version(root: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(root=root, env={})
    return str(caught.value)


def test_no_git_repository_and_no_version_says_what_to_do(tmp_path: Path) -> None:
    write_app(tmp_path)
    assert no_version(tmp_path) == (
        f"version: the version is the git commit's hash, and {tmp_path} is not in a git "
        "repository: run `git init`, then commit your app (`git add -A && git commit -m "
        "first`), or pass --version or set VERSION"
    )


def test_a_repository_with_no_commit_says_to_commit_first(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=write_app(tmp_path), check=True)
    assert no_version(tmp_path) == (
        f"version: the version is the git commit's hash, and the git repository of {tmp_path} "
        "has no commit yet: commit first (`git add -A && git commit -m first`), or pass "
        "--version or set VERSION"
    )


def test_no_git_installed_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_app(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert no_version(tmp_path) == (
        "version: the version is the git commit's hash, and git is not installed; install "
        "git, or pass --version or set VERSION"
    )


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found in config/deploy.yml \(run `dockyard init`"):
        load_config(root=tmp_path, version="v")
    write_app(tmp_path)
    with pytest.raises(ConfigError, match=r"not found in config/deploy\.qa\.yml"):
        load_config(destination="qa", root=tmp_path, version="v")


def test_destination_merge_and_require_destination(tmp_path: Path) -> None:
    write_app(tmp_path, APP + "require_destination: true\n", qa="servers: [9.9.9.9]\n")
    with pytest.raises(ConfigError, match="require_destination: is true"):
        load_config(root=tmp_path, version="v")
    config = load_config(destination="qa", root=tmp_path, version="v")
    assert config.all_hosts == ("9.9.9.9",)
    assert config.container_name("web") == "app-web-qa-v"


def test_erb_is_rendered_with_the_destination(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_TEST_HOST", "7.7.7.7")
    text = BASE + 'servers: [<%= ENV["DOCKYARD_TEST_HOST"] %>]\n'
    write_app(tmp_path, text, qa='ssh:\n  user: <%= ENV["KAMAL_DESTINATION"] %>-user\n')
    config = load_config(destination="qa", root=tmp_path, version="v")
    assert config.all_hosts == ("7.7.7.7",)
    assert config.ssh.user == "qa-user"


def test_kamal1_traefik_hooks_are_rejected(tmp_path: Path) -> None:
    write_app(tmp_path)
    hooks = tmp_path / ".kamal" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-traefik-reboot").write_text("#!/bin/sh\n")
    with pytest.raises(ConfigError, match="renamed to \\(pre\\|post\\)-proxy-reboot"):
        load_config(root=tmp_path, version="v")


def test_secrets_are_not_read_when_loading(tmp_path: Path) -> None:
    write_app(tmp_path, APP + "env:\n  secret: [MISSING_EVERYWHERE]\n")
    config = load_config(root=tmp_path, version="v")  # no .kamal/secrets at all
    assert config.env.secret_names == ("MISSING_EVERYWHERE",)
