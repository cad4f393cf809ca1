"""Read commands asked about what the config does not have fail in one line before any
connection: a role, a host, an accessory, a documentation section (through the CLI's own
entry point; what the servers lack is in tests/unit/workflows/test_read_not_found.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.cli.main import run

CONFIG = """\
service: app
image: me/app
registry: {username: me, password: [KAMAL_REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1]
  worker: {hosts: [10.0.0.2], proxy: false}
accessories:
  db: {image: postgres:15, host: 10.0.0.1}
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def error_line(capsys: pytest.CaptureFixture[str], code: int, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        run(list(argv))
    assert exit_info.value.code == code
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["app", "details", "-r", "nosuch"],
        ["app", "version", "-r", "nosuch"],
        ["details", "-r", "nosuch"],
        ["audit", "-r", "nosuch"],
        ["proxy", "logs", "-r", "nosuch"],
        ["lock", "status", "-r", "nosuch"],
        ["accessory", "details", "db", "-r", "nosuch"],
    ],
)
def test_a_role_the_config_does_not_have(
    app: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert error_line(capsys, 2, *argv) == (
        "ERROR (UsageError): no role matches --roles nosuch; the roles are web, worker"
    )


def test_a_host_the_config_does_not_have(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert error_line(capsys, 2, "app", "logs", "-h", "10.9.9.9") == (
        "ERROR (UsageError): no host matches --hosts 10.9.9.9; the hosts are 10.0.0.1, 10.0.0.2"
    )
    assert error_line(capsys, 2, "app", "images", "-h", "10.0.0.1", "-r", "worker") == (
        "ERROR (UsageError): no host of the app matches --hosts 10.0.0.1 --roles worker; the "
        "app's hosts are 10.0.0.1, 10.0.0.2"
    )


@pytest.mark.parametrize("command", ["details", "logs", "backups"])
def test_an_accessory_the_config_does_not_have(
    app: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert error_line(capsys, 1, "accessory", command, "nosuch") == (
        "ERROR (ConfigError): no accessory named 'nosuch' (accessories: db)"
    )


def test_a_documentation_section_that_does_not_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert error_line(capsys, 2, "docs", "nosuch").startswith(
        "ERROR (UsageError): no documentation section 'nosuch'; choose one of: configuration, "
    )
