"""The pure layers never do I/O: no network, processes, files, clock or environment."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dockyard"
PURE_PACKAGES = ["config", "commands", "facts", "plan"]
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


def config_escapes(path: Path) -> list[str]:
    """Reads of Config.raw (`config.raw`, `x.config.raw`): the typed fields are the interface."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "raw":
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if name == "config":
                found.append((node.lineno, f"{path.name}:{node.lineno} reads config.raw"))
    return [text for _, text in sorted(found)]


def outside_config() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if (SRC / "config") not in p.parents)


def test_nothing_outside_config_reads_the_raw_config() -> None:
    assert [v for path in outside_config() for v in config_escapes(path)] == []


def test_the_raw_check_catches_a_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("a = config.raw.get('ssh')\nb = self.config.raw\nc = part.raw\n")
    assert config_escapes(sample) == [
        "sample.py:1 reads config.raw",
        "sample.py:2 reads config.raw",
    ]


@pytest.mark.parametrize(
    "path", sorted((SRC / "config").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_config_imports_only_pure_leaves(path: Path) -> None:
    """config/ sits under commands/ and plan/: it imports only itself and pure leaf modules."""
    tree = ast.parse(path.read_text(), filename=str(path))
    allowed = ("dockyard.config", "dockyard.errors", "dockyard.redaction", "dockyard.engine")
    imported = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dockyard")
    ]
    assert [m for m in imported if not m.startswith(allowed)] == []
