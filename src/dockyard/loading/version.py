"""The version to deploy: --version, else $VERSION, else the git HEAD (Kamal's rule).

When the working tree has uncommitted changes and the build does not come from a clean git clone
(builder.context is set), Kamal appends `_uncommitted_<16 random hex digits>`, so two dirty builds
never share a tag. dockyard does the same.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Mapping
from pathlib import Path

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
        raise ConfigError(
            f"Can't use commit hash as version, no git repository found in {root}; "
            "pass --version or set VERSION",
            key="version",
        )
    if git_clone:  # a clean clone of HEAD is built: local changes cannot be in the image
        return revision
    status = _git(root, "status", "--porcelain") or ""
    if status.strip():
        return f"{revision}_uncommitted_{secrets.token_hex(8)}"
    return revision


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
