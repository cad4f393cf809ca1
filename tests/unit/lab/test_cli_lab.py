"""`dockyard lab` errors that need no lab: one line, what to do, nothing made."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def dockyard(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI with no lab named by the environment (a shell after `eval "$(dockyard lab env)"`
    has DOCKYARD_LAB set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKYARD_LAB")}
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=cwd,
    )  # fmt: skip


def test_lab_up_with_a_bad_subnet_is_one_line() -> None:
    done = dockyard("lab", "up", "--name", "tbad", "--subnet", "10.203.0.0/33", "--dir", "/srv/x")
    assert done.returncode == 1
    assert done.stderr.startswith("ERROR (LabError): --subnet '10.203.0.0/33' is not a network")
    assert done.stderr.count("\n") == 1


def test_lab_dir_under_tmp_is_refused(tmp_path: Path) -> None:
    done = dockyard("lab", "up", "--name", "tbad", "--dir", str(tmp_path / "lab"))
    assert done.returncode == 1
    assert "which every lab host replaces; use --dir under /var/lib/dockyard-lab" in done.stderr
    assert not (tmp_path / "lab").exists()


NOT_FOUND = (
    r"ERROR \(LabError\): no lab {name} at {dir} \(no lab\.json there\); "
    r"(no lab is up on this machine; start one|labs on this machine: [a-z0-9, -]+; or start it): "
    r"dockyard lab up --name {name}\n"
)


def test_lab_ssh_without_a_lab_names_the_labs_there_are(tmp_path: Path) -> None:
    done = dockyard("lab", "ssh", "--dir", str(tmp_path), "s1")
    assert done.returncode == 1
    assert re.fullmatch(
        NOT_FOUND.format(name="dockyard", dir=re.escape(str(tmp_path))), done.stderr
    )


@pytest.mark.parametrize("command", [["status"], ["env"], ["ssh", "s1"], ["reboot", "s1"]])
def test_lab_commands_on_a_lab_fail_for_a_lab_that_does_not_exist(command: list[str]) -> None:
    done = dockyard("lab", command[0], "--name", "nosuch", *command[1:])
    assert done.returncode == 1
    lab_dir = re.escape("/var/lib/dockyard-lab/nosuch")
    assert re.fullmatch(NOT_FOUND.format(name="nosuch", dir=lab_dir), done.stderr), done.stderr
    assert done.stdout == ""


def test_init_for_a_lab_that_does_not_exist_writes_nothing(tmp_path: Path) -> None:
    done = dockyard("init", "--lab", "nosuch", cwd=tmp_path)
    assert done.returncode == 1
    lab_dir = re.escape("/var/lib/dockyard-lab/nosuch")
    assert re.fullmatch(NOT_FOUND.format(name="nosuch", dir=lab_dir), done.stderr), done.stderr
    assert list(tmp_path.iterdir()) == []
