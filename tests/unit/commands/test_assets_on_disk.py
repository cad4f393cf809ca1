"""What the asset commands do to a server's directories: fill_volumes and retire run by the
shells a server may have (dash and bash) in a temporary home, on files made to look like two
versions' extracted assets (the extraction itself needs an engine: tests/e2e/assets)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from dockyard.commands.assets import RoleAssets, fill_volumes, retire

SHELLS = [s for s in ("dash", "bash") if shutil.which(s)]
WEB = RoleAssets("assets/web", "/rails/public/assets")


def run(shell: str, home: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run([shell, "-c", script], env=env, capture_output=True, text=True)


def files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir()) if p.is_file()}


def extracted(home: Path, version: str, names: dict[str, str]) -> Path:
    where = home / "assets/web/extracted" / version
    where.mkdir(parents=True)
    for name, text in names.items():
        (where / name).write_text(text)
    return where


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A server where v1 serves: its extracted files and its volume; v2 just extracted."""
    extracted(tmp_path, "v1", {"app-1111.css": "one", ".manifest.json": "v1"})
    shutil.copytree(tmp_path / "assets/web/extracted/v1", tmp_path / "assets/web/volumes/v1")
    extracted(tmp_path, "v2", {"app-2222.css": "two", ".manifest.json": "v2"})
    return tmp_path


@pytest.mark.parametrize("shell", SHELLS)
def test_both_volumes_hold_both_versions_each_its_own_manifest(shell: str, home: Path) -> None:
    done = run(shell, home, fill_volumes(WEB, "v2").render())
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # it runs in the trip that reads the proxy's state
    both = {"app-1111.css": "one", "app-2222.css": "two"}
    assert files(home / "assets/web/volumes/v2") == {".manifest.json": "v2", **both}
    assert files(home / "assets/web/volumes/v1") == {".manifest.json": "v1", **both}


@pytest.mark.parametrize("shell", SHELLS)
def test_a_volume_made_again_keeps_its_files(shell: str, home: Path) -> None:
    """A rollback to v1 fills v1's volume again: v1's manifest stays v1's."""
    assert run(shell, home, fill_volumes(WEB, "v2").render()).returncode == 0
    done = run(shell, home, fill_volumes(WEB, "v1").render())
    assert done.returncode == 0, done.stderr
    assert files(home / "assets/web/volumes/v1")[".manifest.json"] == "v1"
    assert files(home / "assets/web/volumes/v2")[".manifest.json"] == "v2"


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failed_copy_fails_the_command(shell: str, home: Path) -> None:
    shutil.rmtree(home / "assets/web/extracted/v2")
    done = run(shell, home, fill_volumes(WEB, "v2").render())
    assert done.returncode != 0
    assert "Cannot open" in done.stderr or "No such file" in done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_retire_keeps_the_replaced_version_files_for_the_retention(shell: str, home: Path) -> None:
    assert run(shell, home, fill_volumes(WEB, "v2").render()).returncode == 0
    two_hours_ago = time.time() - 7200
    for version in ("v1", "v2"):  # extracted long ago: v1 served until now
        os.utime(home / "assets/web/extracted" / version, (two_hours_ago, two_hours_ago))
    done = run(shell, home, retire(WEB, "v2").render())
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (home / "assets/web/volumes").iterdir()) == ["v2"]
    # v1 stopped serving now: its files stay for the next deploys within the retention
    assert sorted(p.name for p in (home / "assets/web/extracted").iterdir()) == ["v1", "v2"]

    os.utime(home / "assets/web/extracted/v1", (two_hours_ago, two_hours_ago))
    done = run(shell, home, retire(WEB, "v2").render())
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (home / "assets/web/extracted").iterdir()) == ["v2"]
    assert files(home / "assets/web/volumes/v2")["app-1111.css"] == "one"  # until the next deploy
