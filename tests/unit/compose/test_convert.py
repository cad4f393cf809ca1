"""`dockyard compose convert`, run as the real CLI: the config/deploy.yml it prints loads to the
same Config as the Compose project, and what does not carry over is a warning on stderr."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from dockyard.loading import load_config

from .test_caddyfile import CADDYFILE, PROJECT


def convert(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", "compose", "convert", *args],
        cwd=root, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_printed_deploy_yml_is_the_same_config(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(PROJECT)
    (project / "Caddyfile").write_text(CADDYFILE)
    done = convert(project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# the app image's tag in the project: v2 (deploy --version)\n")
    assert "WARNING: services.app.expose: not supported by dockyard yet\n" in done.stderr
    converted = tmp_path / "converted"
    (converted / "config").mkdir(parents=True)
    (converted / "config" / "deploy.yml").write_text(done.stdout)
    from_compose = load_config(root=project, env={})
    from_yml = load_config(root=converted, env={}, version="v2")
    same = {"warnings": (), "prebuilt_image": False}
    assert dataclasses.replace(from_compose, **same) == dataclasses.replace(from_yml, **same)


def test_files_and_profiles_are_compose_s_options(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(PROJECT)
    (tmp_path / "Caddyfile").write_text(CADDYFILE)
    (tmp_path / "extra.yaml").write_text(
        "services:\n  tools: {image: 'registry.lab:5000/shop:v2', profiles: [ops]}\n"
    )
    plain = convert(tmp_path, "-f", "base.yaml", "-f", "extra.yaml")
    with_ops = convert(tmp_path, "-f", "base.yaml", "-f", "extra.yaml", "--profile", "ops")
    assert plain.returncode == with_ops.returncode == 0, plain.stderr + with_ops.stderr
    assert "  tools:\n" not in plain.stdout and "  tools:\n" in with_ops.stdout


def test_a_missing_file_is_compose_s_one_line(tmp_path: Path) -> None:
    done = convert(tmp_path, "-f", "nope.yaml")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("ERROR (ConfigError): docker compose "
                                                           "config: ")  # fmt: skip
