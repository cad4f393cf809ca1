"""Stand-in vendor CLIs: executables first on PATH that record argv and print canned output."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, sys
name = os.path.basename(sys.argv[0])
here = os.path.dirname(os.path.abspath(sys.argv[0]))
argv = [name, *sys.argv[1:]]
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps({{"argv": argv, "BW_SESSION": os.environ.get("BW_SESSION")}}) + "\\n")
with open(os.path.join(here, "rules.json")) as rules:
    for rule in json.load(rules):
        wanted_session = rule.get("session", os.environ.get("BW_SESSION"))
        if rule["argv"] == argv and wanted_session == os.environ.get("BW_SESSION"):
            sys.stdout.write(rule.get("stdout", ""))
            sys.stderr.write(rule.get("stderr", ""))
            sys.exit(rule.get("exit", 0))
sys.stderr.write("stand-in: no rule for " + json.dumps(argv) + "\\n")
sys.exit(99)
"""


class Vendor:
    """A directory of stand-in programs, each answering by exact argv from its rules."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rules: list[dict[str, Any]] = []
        directory.mkdir(exist_ok=True)
        self._save()

    def program(self, name: str) -> None:
        path = self.directory / name
        path.write_text(SCRIPT.format(python=sys.executable))
        path.chmod(0o755)

    def on(
        self, *argv: str, stdout: Any = "", exit: int = 0, stderr: str = "", **match: Any
    ) -> None:
        """Answer argv (and, with session=…, only that BW_SESSION) with this output."""
        text = stdout if isinstance(stdout, str) else json.dumps(stdout)
        self.program(argv[0])
        rule = {"argv": list(argv), "stdout": text, "exit": exit, "stderr": stderr, **match}
        self.rules.append(rule)
        self._save()

    def calls(self) -> list[list[str]]:
        return [entry["argv"] for entry in self._log()]

    def sessions(self) -> list[str | None]:
        return [entry["BW_SESSION"] for entry in self._log()]

    def _log(self) -> list[dict[str, Any]]:
        log = self.directory / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def _save(self) -> None:
        (self.directory / "rules.json").write_text(json.dumps(self.rules))

    def path(self) -> str:
        return f"{self.directory}{os.pathsep}{os.environ.get('PATH', '')}"
