"""The layers of dockyard, checked on the source with `ast` (nothing is imported).

A package may import only packages of a lower rank (never one of its own rank or above):

    0  errors, engine, redaction, dockyard/__init__   leaves: the exception tree, the engines,
                                                      Secret
    1  config      YAML -> typed Config (pure)
    2  commands    command builders (pure)            templating  ERB in config files
    3  facts       parsers of command output (pure)   ssh         the one transport seam
       loading     config files from disk -> Config   secrets     .kamal/secrets and vaults
       runlog      a command's log lines to a file or an OTLP collector (output:)
    4  plan        config -> plans (pure)
    5  workflows   the only layer that sequences      lab         local servers for tests,
                   remote work                                    benches and the demo
    6  cli         parse options, call one workflow, render its result
    7  _entry      the console entry point          8  __main__  `python -m dockyard`

So config < commands < facts < plan < workflows < cli, and ssh is below the workflows. Loading,
secrets and templating read the user's files (config, secrets, ERB) and sit just above config:
a workflow may load a config or resolve a secret, a builder or a parser never does. The lab is
its own application beside the workflows: the CLI runs it, nothing else imports it.

Besides the ranks:
- no import cycle, between packages or between the modules of one package;
- cli/ imports neither dockyard.ssh nor dockyard.commands (it calls workflows, which hold the
  transport and the builders);
- no import inside a function, unless a `# start-up:` comment right above it says what it saves
  (measured): the CLI loads its commands lazily on purpose;
- the pure packages (config, commands, facts, plan) do no I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dockyard"

RANK = {
    "": 0, "errors": 0, "engine": 0, "redaction": 0,
    "config": 1,
    "commands": 2, "templating": 2,
    "facts": 3, "ssh": 3, "loading": 3, "secrets": 3, "runlog": 3,
    "plan": 4,
    "workflows": 5, "lab": 5,
    "cli": 6,
    "_entry": 7, "__main__": 8,
}  # fmt: skip
BELOW_CLI_ONLY = ("dockyard.ssh", "dockyard.commands")  # cli/ reaches them through workflows
START_UP = "# start-up:"

PURE_PACKAGES = ["config", "commands", "facts", "plan"]
BANNED_MODULES = {
    "os", "subprocess", "socket", "asyncio", "asyncssh", "shutil", "tempfile", "pathlib",
    "urllib", "http", "httpx", "h11", "time", "random", "secrets", "glob", "io", "sys",
    "dockyard.ssh", "dockyard.workflows", "dockyard.lab", "dockyard.cli",
}  # fmt: skip
BANNED_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


# --- reading the import graph ---------------------------------------------------------------------


def modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for the package at root (`dockyard.cli.app`, `dockyard`...)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) of each import of the package's own modules, wherever it is written."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = next(iter(known)).split(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]  # fmt: skip
        for target in targets:
            resolved = _resolve(target, known)
            if target.split(".")[0] == top and resolved and resolved != name:
                found.append((node.lineno, resolved))
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def area(module: str) -> str:
    """The package a module belongs to: `cli` for dockyard.cli.app, "" for dockyard itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: {t for _, t in imports_of(name, path, known)} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


# --- the rules ------------------------------------------------------------------------------------


def module_cycles(root: Path) -> list[str]:
    return [" -> ".join(group) for group in cycles(graph(root))]


def package_cycles(root: Path) -> list[str]:
    edges: dict[str, set[str]] = {}
    for module, targets in graph(root).items():
        edges.setdefault(area(module), set()).update(area(t) for t in targets)
    for package, targets in edges.items():
        targets.discard(package)
    return [" <-> ".join(group) for group in cycles(edges)]


def layer_breaks(root: Path) -> list[str]:
    """Imports of a package of the same or a higher rank, and cli/ imports of ssh/commands."""
    known = modules(root)
    found = []
    for name, path in known.items():
        for line, target in sorted(set(imports_of(name, path, known))):
            here, there = area(name), area(target)
            where = f"{path.relative_to(root)}:{line}"
            if here not in RANK or there not in RANK:
                unranked = here if here not in RANK else there
                found.append(f"{where}: {unranked} has no rank: place it in RANK")
            elif here != there and RANK[there] >= RANK[here]:
                found.append(f"{where}: {here} (rank {RANK[here]}) imports {target} "
                             f"(rank {RANK[there]})")  # fmt: skip
            if here == "cli" and target.startswith(BELOW_CLI_ONLY):
                found.append(f"{where}: cli imports {target}; call a workflow instead")
    return found


def inner_imports(root: Path) -> list[str]:
    """Imports inside a function with no `# start-up:` comment right above them (a run of
    imports shares the comment above its first)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text().splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines), filename=str(path))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not _explained(lines, node):
                    found.append(f"{path.relative_to(root)}:{node.lineno} imports inside "
                                 f"{fn.name}() with no {START_UP!r} comment")  # fmt: skip
    return found


def _explained(lines: list[str], node: ast.Import | ast.ImportFrom) -> bool:
    row = node.lineno - 2  # the line above, 0-based
    while row >= 0:
        text = lines[row].strip()
        if text.startswith(START_UP):
            return True
        if not text.startswith(("#", "import ", "from ")):
            return False
        row -= 1
    return False


def pure_modules() -> list[Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (SRC / pkg).rglob("*.py"))


def io_violations(path: Path) -> list[str]:
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


# --- dockyard keeps them --------------------------------------------------------------------------


def test_every_package_has_a_rank() -> None:
    packages = {area(m) for m in modules(SRC)}
    assert len(packages) > 10, "the check found too few packages: it would check nothing"
    assert sorted(packages - set(RANK)) == []


def test_no_module_imports_in_a_cycle() -> None:
    assert module_cycles(SRC) == []


def test_no_package_imports_in_a_cycle() -> None:
    assert package_cycles(SRC) == []


def test_no_package_imports_one_above_it_and_cli_reaches_no_transport_or_builder() -> None:
    assert layer_breaks(SRC) == []


def test_no_import_inside_a_function_without_a_start_up_reason() -> None:
    assert inner_imports(SRC) == []


def test_pure_packages_exist() -> None:
    assert pure_modules(), "no pure modules found: the layering test would check nothing"


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_does_no_io(path: Path) -> None:
    assert io_violations(path) == []


# --- the checks catch what they should ------------------------------------------------------------


def sample(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "dockyard"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_catch_cycles_upward_imports_and_cli_reaching_down(tmp_path: Path) -> None:
    root = sample(tmp_path, {
        "commands/__init__.py": "",
        "commands/a.py": "from dockyard.commands import b\n",
        "commands/b.py": "from dockyard.commands.a import x\n",
        "plan/__init__.py": "",
        "plan/p.py": "from dockyard.workflows import w\n",
        "workflows/__init__.py": "",
        "workflows/w.py": "from dockyard.plan import p\nfrom dockyard.ssh.transport import T\n",
        "ssh/__init__.py": "",
        "ssh/transport.py": "",
        "cli/__init__.py": "",
        "cli/c.py": "from ..ssh import transport\nfrom dockyard.workflows.w import run\n",
    })  # fmt: skip
    assert module_cycles(root) == [
        "dockyard.commands.a -> dockyard.commands.b",
        "dockyard.plan.p -> dockyard.workflows.w",
    ]
    assert package_cycles(root) == ["plan <-> workflows"]
    assert layer_breaks(root) == [
        "cli/c.py:1: cli imports dockyard.ssh.transport; call a workflow instead",
        "plan/p.py:1: plan (rank 4) imports dockyard.workflows.w (rank 5)",
    ]


def test_the_check_wants_a_reason_for_an_import_inside_a_function(tmp_path: Path) -> None:
    root = sample(tmp_path, {"m.py": (
        "def lazy():\n"
        "    # start-up: saves 0.1 s of `dockyard --help`\n"
        "    import json\n"
        "    from os import path\n"
        "\n"
        "def plain():\n"
        "    # just because\n"
        "    import json\n"
        "    return json\n"
    )})  # fmt: skip
    assert inner_imports(root) == ["m.py:8 imports inside plain() with no '# start-up:' comment"]


def test_the_check_catches_io(tmp_path: Path) -> None:
    sample_file = tmp_path / "sample.py"
    sample_file.write_text("import os\nfrom subprocess import run\nopen('x')\n")
    assert io_violations(sample_file) == [
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
