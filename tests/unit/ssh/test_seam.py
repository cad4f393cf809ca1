"""asyncssh stays behind the seam: only dockyard.ssh's asyncssh_* modules and errormap import it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "dockyard"
ALLOWED = {"asyncssh_connect.py", "asyncssh_streams.py", "asyncssh_transport.py"}
ALLOWED |= {"asyncssh_upload.py", "errormap.py"}


def imports_asyncssh(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "asyncssh" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "asyncssh":
            return True
    return False


def test_only_the_ssh_package_imports_asyncssh() -> None:
    importers = {str(path.relative_to(SRC)) for path in SRC.rglob("*.py") if imports_asyncssh(path)}
    assert importers, "the check found no importer at all: it would check nothing"
    assert importers <= {f"ssh/{name}" for name in ALLOWED}


def test_the_check_sees_both_import_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from asyncssh.misc import Error\n")
    assert imports_asyncssh(sample)
    sample.write_text("import os, asyncssh\n")
    assert imports_asyncssh(sample)
    sample.write_text("import asyncsshx\n")
    assert not imports_asyncssh(sample)
