"""The version to deploy: --version, else $VERSION, else the git HEAD (Kamal's rule).

When the working tree has uncommitted changes and the build does not come from a clean git clone
(builder.context is set), Kamal appends `_uncommitted_<16 random hex digits>`, so two dirty builds
never share a tag. dockyard does the same.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from dockyard.errors import ConfigError

# The version of a config loaded by a command that never uses it (lock, registry, app exec,
# proxy, secrets print...): no --version, $VERSION or git needed, so these work anywhere.
NO_VERSION = "unknown"


def resolve_version(
    declared: str | None, env: Mapping[str, str], *, root: Path, git_clone: bool
) -> str:
    if declared:
        return declared
    if "VERSION" in env:
        return env["VERSION"]
    return git_version(root, git_clone=git_clone)


def git_version(root: Path, *, git_clone: bool) -> str:
    revision = _git(root, "rev-parse", "HEAD")
    if revision is None:
        raise ConfigError(_no_commit(root), key="version")
    if git_clone:  # a clean clone of HEAD is built: local changes cannot be in the image
        return revision
    status = _git(root, "status", "--porcelain") or ""
    if status.strip():
        return f"{revision}_uncommitted_{secrets.token_hex(8)}"
    return revision


GitState = Literal["no git", "no repository", "no commit", "committed"]
COMMIT_FIRST = "`git add -A && git commit -m first`"


def git_state(root: Path) -> GitState:
    """Whether `root` has a commit to deploy, and if not, why: git missing, no repository
    (`git init` first), or a repository with no commit yet."""
    if shutil.which("git") is None:
        return "no git"
    if _git(root, "rev-parse", "--git-dir") is None:
        return "no repository"
    if _git(root, "rev-parse", "--verify", "--quiet", "HEAD") is None:
        return "no commit"
    return "committed"


def _no_commit(root: Path) -> str:
    """Why there is no commit to take the version from, and what to do (asked only then: a
    repository with commits costs no second git call)."""
    state = git_state(root)
    if state == "no git":
        return (
            "the version is the git commit's hash, and git is not installed; install git, "
            "or pass --version or set VERSION"
        )
    if state == "no repository":
        return (
            f"the version is the git commit's hash, and {root} is not in a git repository: "
            f"run `git init`, then commit your app ({COMMIT_FIRST}), or pass --version or set "
            "VERSION"
        )
    return (
        f"the version is the git commit's hash, and the git repository of {root} has no "
        f"commit yet: commit first ({COMMIT_FIRST}), or pass --version or set VERSION"
    )


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
