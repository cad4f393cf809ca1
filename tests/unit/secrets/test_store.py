"""load_secrets on real files and a real shell: order, precedence, laziness, errors, no leaks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.errors import SecretsError
from dockyard.redaction import Secret
from dockyard.secrets import load_secrets

DOCKYARD = str(Path(sys.executable).parent / "dockyard")
CONFIG = "service: app\nimage: app\nservers: [192.0.2.1]\nregistry: {server: localhost:5555}\n"
CONFIG += "builder: {arch: amd64}\n"
VALUE = "s3cr3t-v4lue-never-shown"


def write(root: Path, files: dict[str, str]) -> Path:
    (root / ".kamal").mkdir(exist_ok=True)
    for name, text in files.items():
        (root / ".kamal" / name).write_text(text)
    return root


def test_common_first_then_the_default_file(tmp_path: Path) -> None:
    write(tmp_path, {"secrets-common": "A=c\nB=c\n", "secrets": "B=d\n", "secrets.prod": "B=p\n"})
    secrets = load_secrets(".kamal/secrets", None, root=tmp_path)
    assert secrets.all() == {"A": "c", "B": "d"}
    assert secrets.files == [".kamal/secrets-common", ".kamal/secrets"]


def test_a_destination_replaces_the_default_file(tmp_path: Path) -> None:
    write(tmp_path, {"secrets-common": "A=c\nB=c\n", "secrets": "C=d\n", "secrets.prod": "B=p\n"})
    secrets = load_secrets(".kamal/secrets", "prod", root=tmp_path)
    assert secrets.all() == {"A": "c", "B": "p"}
    assert secrets.get("B") == "p"
    assert isinstance(secrets.get("B"), Secret)
    assert repr(secrets.get("B")) == "Secret('[REDACTED]')"


def test_the_destination_is_in_the_environment_of_commands(tmp_path: Path) -> None:
    write(tmp_path, {"secrets.prod": "D=$(printf %s $KAMAL_DESTINATION)\nE=$KAMAL_DESTINATION\n"})
    assert load_secrets(".kamal/secrets", "prod", root=tmp_path).all() == {"D": "prod", "E": "prod"}


def test_a_missing_secret_names_it_and_the_files(tmp_path: Path) -> None:
    write(tmp_path, {"secrets": f"A={VALUE}\n"})
    with pytest.raises(SecretsError) as caught:
        load_secrets(".kamal/secrets", None, root=tmp_path).get("B")
    assert str(caught.value) == "Secret 'B' not found in .kamal/secrets"
    with pytest.raises(SecretsError) as caught:
        load_secrets(".kamal/secrets", "prod", root=tmp_path).get("A")
    assert str(caught.value) == (
        "Secret 'A' not found, no secret files"
        " (.kamal/secrets-common, .kamal/secrets.prod) provided"
    )


def test_nothing_is_read_or_run_until_asked(tmp_path: Path) -> None:
    marker = tmp_path / "ran"  # commands run in the app's root; a relative path keeps the
    # command short enough to be shown whole in the error (long ones are cut at 80 characters)
    write(tmp_path, {"secrets": "A=$(touch ran; exit 1)\nB=fine\n"})
    secrets = load_secrets(".kamal/secrets", None, root=tmp_path)
    (tmp_path / ".kamal" / "secrets").write_text("A=$(touch ran; exit 1)\nB=late\n")
    assert not marker.exists()
    assert secrets.get("B") == "late"  # read when first asked, not when loaded
    assert not marker.exists()  # and only B's line was worked out
    with pytest.raises(
        SecretsError, match=r"^\.kamal/secrets:1: `\$\(touch .*; exit 1\)` exited 1"
    ):
        secrets.get("A")
    assert marker.exists()


def test_a_failing_command_names_its_line_and_stderr_but_no_value(tmp_path: Path) -> None:
    text = f'TOKEN={VALUE}\n\nB=$(echo "bad token $TOKEN" >&2; echo other >&2; exit 3)\n'
    write(tmp_path, {"secrets": text})
    with pytest.raises(SecretsError) as caught:
        load_secrets(".kamal/secrets", None, root=tmp_path).get("B")
    message = str(caught.value)
    assert message.startswith('.kamal/secrets:3: `$(echo "bad token $TOKEN" >&2; echo other')
    assert message.endswith("exited 3: other")
    assert VALUE not in message


def test_stderr_with_a_value_is_redacted(tmp_path: Path) -> None:
    write(tmp_path, {"secrets": f'TOKEN={VALUE}\nB=$(echo "bad $TOKEN" >&2; exit 3)\n'})
    with pytest.raises(SecretsError) as caught:
        load_secrets(".kamal/secrets", None, root=tmp_path).get("B")
    assert str(caught.value).endswith("exited 3: bad [REDACTED]")


def fake_program(directory: Path, name: str, marker: Path) -> None:
    script = directory / name
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_kamal_and_dockyard_secrets_run_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, marker = tmp_path / "bin", tmp_path / "subprocess-ran"
    bin_dir.mkdir()
    for name in ("kamal", "dockyard"):
        fake_program(bin_dir, name, marker)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    text = (
        "ALL=$(kamal secrets fetch --adapter test --account a --from V/I X LPARENyRPAREN)\n"
        "X=$(kamal secrets extract X $ALL)\n"
        "Y=$(dockyard secrets extract Z ${ALL})\n"
    )
    write(tmp_path, {"secrets": text})
    secrets = load_secrets(".kamal/secrets", None, root=tmp_path)
    assert secrets.get("ALL") == (
        '\\{\\"V/I/X\\":\\"X/I/V\\",\\"V/I/LPARENyRPAREN\\":\\"\\)y\\(/I/V\\"\\}'
    )
    assert secrets.get("X") == "X/I/V"
    with pytest.raises(SecretsError, match=r"^\.kamal/secrets:3: .* failed: Could not find secret"):
        secrets.get("Y")
    assert not marker.exists()


def test_an_in_process_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, {"secrets": "A=1\nB=$(kamal secrets fetch --adapter nope X)\n"})
    with pytest.raises(
        SecretsError, match=r"^\.kamal/secrets:2: .* failed: Unknown secrets adapter"
    ):
        load_secrets(".kamal/secrets", None, root=tmp_path).get("B")


def test_cli_errors_never_show_values(tmp_path: Path) -> None:
    write(tmp_path, {"secrets": f"A={VALUE}\nB=$(echo $A >&2; exit 1)\n"})
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG)
    done = subprocess.run(
        [DOCKYARD, "secrets", "print"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "ERROR (SecretsError): .kamal/secrets:2: `$(echo $A >&2; exit 1)` exited 1: [REDACTED]"
    )
    assert VALUE not in done.stdout
    assert VALUE not in done.stderr  # the command's stderr was shown live, redacted
    assert done.stderr.count("[REDACTED]") == 2


def test_stderr_of_a_working_command_passes_through_redacted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {"secrets": f'T={VALUE}\nB=$(printf "Password: " >&2; echo "using $T" >&2; echo ok)\n'},
    )
    assert load_secrets(".kamal/secrets", None, root=tmp_path).get("B") == "ok"
    assert capfd.readouterr().err == "Password: using [REDACTED]\n"


def test_has_is_true_for_defined_and_not_blank(tmp_path: Path) -> None:
    write(tmp_path, {"secrets": "A=x\nB=\nC='  '\n"})
    secrets = load_secrets(".kamal/secrets", None, root=tmp_path)
    assert [secrets.has(name) for name in ("A", "B", "C", "D")] == [True, False, False, False]
