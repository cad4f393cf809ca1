"""Which labs exist on this machine, and the one a read command (`lab status`, `ssh`, `env`,
`dockyard init --lab`) asks for: a lab that does not exist is one line naming those that do."""

from __future__ import annotations

from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import spec as specs
from dockyard.lab.info import LAB_JSON, LabInfo


def labs_here(root: str = specs.DEFAULT_ROOT) -> list[str]:
    """The labs described under the labs' root dir (up, or left by a crash), by name."""
    base = Path(root)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / LAB_JSON).is_file())


def lab_dir_of(name: str, lab_dir: str | None) -> str:
    specs.validate_name(name)
    return lab_dir or specs.LabSpec(name=name).lab_dir


def not_found(name: str, lab_dir: str, found: list[str]) -> LabError:
    """`no lab NAME at DIR`, and what exists instead."""
    where = f"no lab {name} at {lab_dir} (no {LAB_JSON} there)"
    start = f"dockyard lab up --name {name}"
    if not found:
        return LabError(f"{where}; no lab is up on this machine; start one: {start}")
    return LabError(f"{where}; labs on this machine: {', '.join(found)}; or start it: {start}")


def find_lab(name: str, lab_dir: str | None = None) -> LabInfo:
    """The lab's description, or a LabError that names the labs there are."""
    lab_dir = lab_dir_of(name, lab_dir)
    if not (Path(lab_dir) / LAB_JSON).is_file():
        raise not_found(name, lab_dir, labs_here())
    return LabInfo.load(lab_dir)
