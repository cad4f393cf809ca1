"""`lab env`: the shell lines that put dockyard on the PATH and name a lab for the commands that
follow (`eval "$(dockyard lab env)"`). Pure, but for finding the running dockyard."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from dockyard.lab import spec as specs
from dockyard.lab.info import LabInfo


def dockyard_bin_dir() -> str | None:
    """The dir holding the `dockyard` script of the running interpreter (a venv's bin/)."""
    here = Path(sys.executable).parent
    return str(here) if (here / "dockyard").is_file() else None


def subnet_prefix(subnet: str) -> str:
    """The first three numbers of the lab's addresses: s1 is <prefix>.11 (a /24 lab)."""
    return str(specs.network(subnet).network_address).rsplit(".", 1)[0]


def env_lines(info: LabInfo, bin_dir: str | None, path: str) -> str:
    """export lines: PATH (when bin_dir is not on it yet), DOCKYARD_LAB (and DOCKYARD_LAB_DIR for
    a lab outside the default dir), LAB_DIR and LAB_PREFIX (what examples/demo's config reads)."""
    lines = [
        f"# dockyard on the PATH; lab {info.name} for `dockyard lab ...` and "
        '`dockyard init --lab "$DOCKYARD_LAB"`'
    ]
    if bin_dir and bin_dir not in path.split(":"):
        lines.append(f'export PATH={shlex.quote(bin_dir)}:"$PATH"')
    lines.append(f"export DOCKYARD_LAB={shlex.quote(info.name)}")
    if info.dir != specs.LabSpec(name=info.name).lab_dir:
        lines.append(f"export DOCKYARD_LAB_DIR={shlex.quote(info.dir)}")
    lines.append(f"export LAB_DIR={shlex.quote(info.dir)}")
    lines.append(f"export LAB_PREFIX={subnet_prefix(info.subnet)}")
    return "\n".join(lines) + "\n"
