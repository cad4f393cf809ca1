"""`dockyard lab` errors that need no lab: one line, what to do, nothing made."""

import subprocess
import sys
from pathlib import Path


def dockyard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args], capture_output=True, text=True, timeout=60
    )


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


def test_lab_ssh_without_a_lab_says_to_bring_one_up(tmp_path: Path) -> None:
    done = dockyard("lab", "ssh", "--dir", str(tmp_path), "s1")
    assert done.returncode == 1
    assert done.stderr == (
        f"ERROR (LabError): no lab at {tmp_path} ({tmp_path}/lab.json is missing); "
        "run: dockyard lab up\n"
    )
