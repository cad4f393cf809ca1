"""`dockyard secrets …` as a user runs it, compared with the real `kamal secrets …`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
DOCKYARD = str(BIN / "dockyard")
KAMAL = shutil.which("kamal", path=str(BIN))
needs_kamal = pytest.mark.skipif(KAMAL is None, reason="the kamal binary is not installed")


CONFIG = """service: app
image: app
servers: [192.0.2.1]
registry:
  server: localhost:5555
builder:
  arch: amd64
"""


def run(program: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([program, *args], capture_output=True, text=True, cwd=cwd, check=False)


FETCHES = [
    ["--adapter", "test", "--account", "x", "A", "B/C"],
    ["-a", "test", "--account", "x", "--from", "Vault/Item", "A", "éLPARENRPAREN"],
    ["--adapter", "test", "--account", "x"],
]


@needs_kamal
@pytest.mark.oracle
@pytest.mark.parametrize("args", FETCHES)
def test_fetch_prints_what_kamal_prints(args: list[str]) -> None:
    assert KAMAL is not None
    expected = run(KAMAL, "secrets", "fetch", *args)
    ours = run(DOCKYARD, "secrets", "fetch", *args)
    assert (ours.returncode, ours.stdout) == (expected.returncode, expected.stdout)


@needs_kamal
@pytest.mark.oracle
@pytest.mark.parametrize("name", ["A", "C", "B/C"])
def test_extract_picks_what_kamal_picks(name: str) -> None:
    assert KAMAL is not None
    secrets = json.dumps({"A": "1", "B/C": "2", "X/C": "3"})
    expected = run(KAMAL, "secrets", "extract", name, secrets)
    ours = run(DOCKYARD, "secrets", "extract", name, secrets)
    assert (ours.returncode, ours.stdout) == (0, expected.stdout)


def test_extract_of_a_missing_secret_fails_in_one_line() -> None:
    done = run(DOCKYARD, "secrets", "extract", "NOPE", '{"A": "value-not-shown"}')
    assert done.returncode == 1
    assert done.stderr == "ERROR (SecretsError): Could not find secret NOPE\n"
    assert done.stdout == ""


def test_fetch_needs_an_adapter_and_an_account() -> None:
    done = run(DOCKYARD, "secrets", "fetch", "A")
    assert done.returncode == 2
    assert "Missing option '-a' / '--adapter'" in done.stderr
    done = run(DOCKYARD, "secrets", "fetch", "--adapter", "1password", "A")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "ERROR (UsageError): the 1password adapter needs --account; give it and run again\n"
    )


def test_inline_is_hidden_and_prints_nothing() -> None:
    assert "--inline" not in run(DOCKYARD, "secrets", "fetch", "--help").stdout
    done = run(DOCKYARD, "secrets", "fetch", "-a", "test", "--account", "x", "--inline", "A")
    assert (done.returncode, done.stdout) == (0, "")


def test_print_shows_key_equals_value(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG + "secrets_path: .s/sec\n")
    (tmp_path / ".s").mkdir()
    (tmp_path / ".s" / "sec-common").write_text("A=1\n")
    (tmp_path / ".s" / "sec").write_text("B=$(echo two)\n")
    done = run(DOCKYARD, "secrets", "print", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "A=1\nB=two\n")
    done = run(DOCKYARD, "secrets", "print", "--json", cwd=tmp_path)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"A": "1", "B": "two"})


def test_print_needs_a_valid_config(tmp_path: Path) -> None:
    done = run(DOCKYARD, "secrets", "print", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("ERROR (ConfigError): Configuration file not found in ")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG)
    done = run(DOCKYARD, "secrets", "print", "-d", "staging", cwd=tmp_path)
    assert done.returncode == 1
    assert "Configuration file not found in config/deploy.staging.yml" in done.stderr
