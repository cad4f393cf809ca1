"""`lab env` lines and finding a lab by name (what exists when it does not)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.errors import LabError
from dockyard.lab import lookup, shell
from tests.unit.lab.test_info import sample


def test_env_lines_put_dockyard_on_the_path_once_and_name_the_lab(tmp_path: Path) -> None:
    info = sample("/var/lib/dockyard-lab/tdock")
    lines = shell.env_lines(info, "/opt/dy/.venv/bin", "/usr/bin:/bin")
    assert lines.splitlines()[1:] == [
        'export PATH=/opt/dy/.venv/bin:"$PATH"',
        "export DOCKYARD_LAB=tdock",
        "export LAB_DIR=/var/lib/dockyard-lab/tdock",
        "export LAB_PREFIX=10.201.0",
    ]
    again = shell.env_lines(info, "/opt/dy/.venv/bin", "/opt/dy/.venv/bin:/usr/bin")
    assert "export PATH" not in again
    assert "export PATH" not in shell.env_lines(info, None, "/usr/bin")


def test_env_lines_run_in_a_shell_and_name_a_lab_outside_the_default_dir(tmp_path: Path) -> None:
    info = sample(str(tmp_path / "my lab"))
    lines = shell.env_lines(info, str(tmp_path / "bin"), "/usr/bin:/bin")
    assert f"export DOCKYARD_LAB_DIR='{tmp_path}/my lab'" in lines.splitlines()
    shown = subprocess.run(
        ["bash", "-c", lines + 'echo "$PATH|$DOCKYARD_LAB|$DOCKYARD_LAB_DIR|$LAB_PREFIX"'],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True,
    )  # fmt: skip
    assert shown.stdout == f"{tmp_path}/bin:/usr/bin:/bin|tdock|{tmp_path}/my lab|10.201.0\n"


def test_a_wider_subnet_gives_the_prefix_of_its_first_addresses() -> None:
    assert shell.subnet_prefix("10.77.0.0/24") == "10.77.0"
    assert shell.subnet_prefix("10.80.0.0/16") == "10.80.0"


def test_labs_here_are_the_dirs_with_a_lab_description(tmp_path: Path) -> None:
    for name in ("tgs", "tdock", "gone"):
        (tmp_path / name).mkdir()
    (tmp_path / "tgs" / "lab.json").write_text("{}")
    (tmp_path / "tdock" / "lab.json").write_text("{}")
    (tmp_path / ".image-cache").mkdir()
    assert lookup.labs_here(str(tmp_path)) == ["tdock", "tgs"]
    assert lookup.labs_here(str(tmp_path / "none")) == []


def test_a_missing_lab_names_what_exists(tmp_path: Path) -> None:
    error = lookup.not_found("nosuch", "/x/nosuch", ["tdock", "tgs"])
    assert str(error) == (
        "no lab nosuch at /x/nosuch (no lab.json there); labs on this machine: tdock, tgs; "
        "or start it: dockyard lab up --name nosuch"
    )
    error = lookup.not_found("nosuch", "/x/nosuch", [])
    assert str(error) == (
        "no lab nosuch at /x/nosuch (no lab.json there); no lab is up on this machine; "
        "start one: dockyard lab up --name nosuch"
    )
    with pytest.raises(LabError, match=f"^no lab nosuch at {tmp_path} "):
        lookup.find_lab("nosuch", str(tmp_path))
    sample(str(tmp_path)).save()
    assert lookup.find_lab("nosuch", str(tmp_path)).name == "tdock"
