"""The pure layers never do I/O: no network, processes, files, clock or environment."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dockyard"
PURE_PACKAGES = ["config", "commands", "facts", "plan", "backups"]
BANNED_MODULES = {
    "os", "subprocess", "socket", "asyncio", "asyncssh", "shutil", "tempfile", "pathlib",
    "urllib", "http", "httpx", "h11", "time", "random", "secrets", "glob", "io", "sys",
    "dockyard.ssh", "dockyard.workflows", "dockyard.lab", "dockyard.cli",
}  # fmt: skip
BANNED_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def pure_modules() -> list[Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (SRC / pkg).rglob("*.py"))


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if any(name == b or name.startswith(b + ".") for b in BANNED_MODULES):
                found.append(f"{path.name}:{node.lineno} imports {name}")
        call = node.func if isinstance(node, ast.Call) else None
        if isinstance(call, ast.Name) and call.id in BANNED_CALLS:
            found.append(f"{path.name}:{node.lineno} calls {call.id}()")
    return found


def test_pure_packages_exist() -> None:
    assert pure_modules(), "no pure modules found: the layering test would check nothing"


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_does_no_io(path: Path) -> None:
    assert violations(path) == []


def test_the_check_catches_io(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom subprocess import run\nopen('x')\n")
    assert violations(sample) == [
        "sample.py:1 imports os",
        "sample.py:2 imports subprocess",
        "sample.py:3 calls open()",
    ]
