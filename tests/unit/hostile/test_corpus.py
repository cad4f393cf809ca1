"""A corpus of hostile configs (tests/unit/hostile/corpus/, one attack each, the line expected in
its first comment): `dockyard config` refuses every one with one ERROR line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


def dockyard_config(app: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", "config", "--version", "v1"],
        cwd=app, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def app_with(root: Path, data: bytes) -> Path:
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_bytes(data)
    return root


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yml")), ids=lambda p: p.stem)
def test_a_hostile_config_is_one_error_line(tmp_path: Path, path: Path) -> None:
    data = path.read_bytes()
    expected = data.split(b"\n", 1)[0].decode().removeprefix("# expect: ")
    done = dockyard_config(app_with(tmp_path, data))
    assert done.returncode == 1, done.stdout[:500]
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr[:2000]
    assert done.stderr.startswith(("ERROR (ConfigError): ", "ERROR (ErbError): "))
    assert expected in done.stderr


def test_an_oversized_config_is_one_error_line(tmp_path: Path) -> None:
    done = dockyard_config(app_with(tmp_path, b"service: app\nx-a: " + b"a" * 20_000_000 + b"\n"))
    assert (done.returncode, done.stderr) == (
        1,
        "ERROR (ConfigError): config/deploy.yml: is 20000019 bytes; a config file may hold at "
        "most 262144 (256 KiB)\n",
    )
