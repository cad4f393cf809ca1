"""`dockyard config`, `docs`, `init` and aliases, run as the real CLI in a temporary app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SECRET_VALUES = ["hunter2-registry", "s3cr3t-db-pw", "PEM-PRIVATE-BYTES", "cert-pem-value"]

APP = """\
service: app
image: me/app
registry:
  server: ghcr.io
  username: me
  password: hunter2-registry
builder: {arch: amd64}
servers:
  web: [1.1.1.1]
  jobs: {hosts: [2.2.2.2], cmd: bin/jobs}
env:
  clear: {RAILS_ENV: production}
  secret: [DB_PASSWORD]
ssh:
  key_data: ["-----BEGIN OPENSSH PRIVATE KEY----- PEM-PRIVATE-BYTES"]
proxy:
  host: app.example.com
  ssl: {certificate_pem: CERT_PEM, private_key_pem: KEY_PEM}
aliases:
  kconf: config --format kamal
"""


def dockyard(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args], cwd=cwd, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(APP)
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal" / "secrets").write_text(
        "DB_PASSWORD=s3cr3t-db-pw\nCERT_PEM=cert-pem-value\nKEY_PEM=k\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    "flags", [[], ["--json"], ["--format", "kamal"], ["--format", "kamal", "--json"], ["-v"]]
)
def test_no_secret_value_in_any_output(app: Path, flags: list[str]) -> None:
    done = dockyard(app, "config", "--version", "v1", *flags)
    assert done.returncode == 0, done.stderr
    for value in SECRET_VALUES:
        assert value not in done.stdout + done.stderr
    assert "[REDACTED]" in done.stdout


def test_json_output_resolves_roles_and_names(app: Path) -> None:
    data = json.loads(dockyard(app, "config", "--version", "v1", "--json").stdout)
    assert data["roles"]["jobs"]["container_name"] == "app-jobs-v1"
    assert data["roles"]["web"]["env"]["secret"] == {"DB_PASSWORD": "secret:DB_PASSWORD"}
    assert data["roles"]["jobs"]["proxy"] is None
    assert data["roles"]["web"]["proxy"]["service_name"] == "app-web"
    assert data["absolute_image"] == "ghcr.io/me/app:v1"
    assert data["registry"]["password"] == "[REDACTED]"


def test_kamal_format_has_kamal_keys(app: Path) -> None:
    data = yaml.safe_load(dockyard(app, "config", "--version", "v1", "--format", "kamal").stdout)
    assert data[":roles"] == ["jobs", "web"]
    assert data[":primary_host"] == "1.1.1.1"
    assert data[":logging"] == ["--log-opt", 'max-size="10m"']


def test_destination_and_version_from_env(app: Path) -> None:
    (app / "config" / "deploy.staging.yml").write_text("servers:\n  web: [9.9.9.9]\n")
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", "config", "-d", "staging", "--json"], cwd=app,
        capture_output=True, text=True, env={"VERSION": "from-env", "PATH": "/usr/bin:/bin"},
        check=False,
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["version"] == "from-env"
    assert data["roles"]["web"]["container_name"] == "app-web-staging-from-env"


def test_config_error_is_one_line_with_file_and_line(app: Path) -> None:
    (app / "config" / "deploy.yml").write_text(APP + "bogus: 1\n")
    done = dockyard(app, "config", "--version", "v1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "ERROR (ConfigError): config/deploy.yml:21: unknown key: bogus "
        "(see `dockyard docs configuration`)"
    ]


def test_missing_config_file_says_how_to_start(tmp_path: Path) -> None:
    done = dockyard(tmp_path, "config")
    assert done.returncode == 1
    assert "Configuration file not found in config/deploy.yml" in done.stderr
    assert "dockyard init" in done.stderr


def test_alias_is_expanded_with_the_rest_appended(app: Path) -> None:
    done = dockyard(app, "kconf", "--version", "v7")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)[":version"] == "v7"


def test_unknown_command_without_alias_is_still_a_usage_error(app: Path) -> None:
    done = dockyard(app, "nope")
    assert done.returncode == 2
    assert "No such command" in done.stderr


def test_docs_every_section_and_unknown_section(app: Path) -> None:
    from dockyard.config.docs import SECTION_NAMES
    from dockyard.config.schema import SECTIONS

    everything = dockyard(app, "docs").stdout
    for section in SECTIONS.values():
        for key in section:
            assert f"  {key} (" in everything
    for name in SECTION_NAMES:
        assert dockyard(app, "docs", name).stdout.startswith("# ")
    bad = dockyard(app, "docs", "nope")
    assert bad.returncode == 2 and "choose one of" in bad.stderr


def test_init_writes_files_then_refuses_to_overwrite(tmp_path: Path) -> None:
    first = dockyard(tmp_path, "init")
    assert first.returncode == 0
    assert "config/deploy.yml: created" in first.stdout
    hook = tmp_path / ".kamal" / "hooks" / "pre-deploy.sample"
    assert hook.stat().st_mode & 0o111
    assert (tmp_path / ".kamal" / "secrets").stat().st_mode & 0o777 == 0o600
    (tmp_path / "config" / "deploy.yml").write_text("mine")
    second = dockyard(tmp_path, "init")
    assert "config/deploy.yml: exists, left unchanged" in second.stdout
    assert (tmp_path / "config" / "deploy.yml").read_text() == "mine"


def test_init_config_is_valid(tmp_path: Path) -> None:
    dockyard(tmp_path, "init")
    done = dockyard(tmp_path, "config", "--version", "v1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["roles"]["web"]["hosts"] == ["192.168.0.1"]


def test_every_unknown_key_error_points_at_an_existing_docs_section() -> None:
    from dockyard.config.docs import SECTION_NAMES, doc_section_of
    from dockyard.config.schema import SECTIONS

    for name in SECTIONS:
        assert doc_section_of(name) in SECTION_NAMES
    assert doc_section_of("healthcheck") == "proxy"
    assert doc_section_of("root") == "configuration"


def test_a_key_dockyard_ignores_is_one_warning_on_stderr_and_the_config_still_loads(
    app: Path,
) -> None:
    config = app / "config" / "deploy.yml"
    config.write_text(APP + "run_directory: .kamal\n")
    done = dockyard(app, "config", "--json", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["service"] == "app"
    assert done.stderr.splitlines() == [
        "WARNING: run_directory is not supported and is ignored: Kamal 2 ignores it too; "
        "remove the key"
    ]


def test_commands_against_the_servers_warn_once_as_they_load(
    app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import click

    from dockyard.cli.load import load_printing
    from dockyard.cli.options import GlobalOptions

    (app / "config" / "deploy.yml").write_text(APP + "sshkit: {dns_retries: 2}\n")
    monkeypatch.chdir(app)
    kwargs = {name: None for name in GlobalOptions.__dataclass_fields__}
    kwargs.update(config_file="config/deploy.yml", version="v1", quiet=True, verbose=False)
    kwargs.update(skip_hooks=False, primary=False, lock_wait=False)
    kwargs.update(lock_wait_timeout=900.0, lock_wait_interval=15.0)
    with click.Context(click.Command("deploy")):
        session, _ = load_printing(kwargs)
    assert session.config.warnings == (
        "sshkit/dns_retries is not supported and is ignored: a host name that does not resolve "
        "fails at once; use an address or fix the DNS",
    )
    out, err = capsys.readouterr()
    assert out == "" and err == f"WARNING: {session.config.warnings[0]}\n"
