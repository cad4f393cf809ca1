"""The build context is a clean copy of the git HEAD: with no HEAD to copy, one line says why
(no git, no repository, no commit yet) and what to do."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from dockyard.config.settings import Builder
from dockyard.errors import BuildError
from dockyard.workflows.delivery.build import pack_context

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
BUILDER = Builder(arch=("amd64",))
WORKING_TREE = "or set builder.context: . to build the working tree"


def app(root: Path) -> Path:
    (root / "Dockerfile").write_text("FROM busybox\n")
    return root


def refusal(root: Path) -> str:
    with pytest.raises(BuildError) as caught:
        pack_context(root, BUILDER)
    return str(caught.value)


def test_no_repository_says_to_init_and_commit(tmp_path: Path) -> None:
    assert refusal(app(tmp_path)) == (
        f"dockyard builds a clean copy of the git HEAD, and {tmp_path} is not in a git "
        "repository: run `git init`, then commit your app (`git add -A && git commit -m "
        f"first`), {WORKING_TREE}"
    )


def test_a_repository_with_no_commit_says_to_commit_first(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=app(tmp_path), check=True)
    assert refusal(tmp_path) == (
        f"dockyard builds a clean copy of the git HEAD, and the git repository of {tmp_path} "
        f"has no commit yet: commit first (`git add -A && git commit -m first`), {WORKING_TREE}"
    )


def test_no_git_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert refusal(app(tmp_path)) == (
        f"dockyard builds a clean copy of the git HEAD, and git is not installed: install git, "
        f"{WORKING_TREE}"
    )


def test_a_commit_is_packed(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=app(tmp_path), check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "t"], cwd=tmp_path, check=True)
    with tarfile.open(fileobj=BytesIO(pack_context(tmp_path, BUILDER))) as packed:
        assert packed.getnames() == ["Dockerfile"]
