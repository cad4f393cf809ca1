"""The lab's plan modules are pure: the I/O modules run what they compute."""

import ast
from pathlib import Path

import pytest

from tests.unit.test_layering import BANNED_CALLS, BANNED_MODULES

LAB = Path(__file__).resolve().parents[3] / "src" / "dockyard" / "lab"
PURE = ["spec.py", "files.py", "images.py"]
ALLOWED = {"dockyard.lab.spec"}  # pure modules may use each other


def io_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            banned = any(name == b or name.startswith(b + ".") for b in BANNED_MODULES)
            if banned and name not in ALLOWED:
                found.append(f"{path.name}:{node.lineno} imports {name}")
        call = node.func if isinstance(node, ast.Call) else None
        if isinstance(call, ast.Name) and call.id in BANNED_CALLS:
            found.append(f"{path.name}:{node.lineno} calls {call.id}()")
    return found


@pytest.mark.parametrize("name", PURE)
def test_lab_plan_module_does_no_io(name: str) -> None:
    assert io_uses(LAB / name) == []


def test_the_check_sees_io_in_an_io_module() -> None:
    assert any("imports subprocess" in use for use in io_uses(LAB / "system.py"))
