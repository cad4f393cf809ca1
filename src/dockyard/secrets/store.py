"""The project's secrets: `<path>-common`, then `<path>` (or `<path>.<destination>`), lazily.

As in Kamal, each file is parsed on its own and a later file's key wins. Nothing is read or run
until a secret is asked for, and then only what that secret needs: its line, and the lines its
`$VAR`s refer to. `$(kamal secrets …)` and `$(dockyard secrets …)` run in-process; any other
`$(…)` runs through /bin/sh in the project root, and a failure names the file, line and command
as written, never a value.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from dockyard.config.dotenv import Command, Entry, Resolver, parse_dotenv
from dockyard.config.env_limits import secret_size_problem
from dockyard.errors import DockyardError, SecretsError
from dockyard.redaction import Secret
from dockyard.secrets.inline import is_secrets_command, run_secrets_line
from dockyard.secrets.process import redacted, run_shell
from dockyard.templating import erb_environment


def secrets_filenames(secrets_path: str, destination: str | None) -> list[str]:
    """Kamal's order: the common file first, then the destination's (or the default) file."""
    last = f"{secrets_path}.{destination}" if destination else secrets_path
    return [f"{secrets_path}-common", last]


def load_secrets(secrets_path: str, destination: str | None, *, root: Path) -> Secrets:
    """The secrets of a project; nothing is read until one is asked for."""
    return Secrets(
        secrets_filenames(secrets_path, destination), root=root, env=erb_environment(destination)
    )


class Secrets:
    def __init__(self, filenames: list[str], *, root: Path, env: Mapping[str, str]) -> None:
        self.filenames, self.root, self.env = filenames, root, dict(env)
        self._files: list[tuple[str, Resolver]] | None = None
        self._lock = threading.Lock()  # fetching may prompt: one secret at a time

    @property
    def files(self) -> list[str]:
        """The secrets files that exist, in reading order."""
        return [name for name in self.filenames if (self.root / name).is_file()]

    def get(self, name: str) -> Secret:
        """The secret's value; refused (by name, never showing it) when it cannot fit the env
        file line it may go into, so nothing runs with it."""
        value = self._lookup(name)
        if value is not None:
            problem = secret_size_problem(name, value)
            if problem is not None:
                raise SecretsError(problem)
            return Secret(value)
        if self.files:
            raise SecretsError(f"Secret '{name}' not found in {', '.join(self.files)}")
        searched = ", ".join(self.filenames)
        raise SecretsError(f"Secret '{name}' not found, no secret files ({searched}) provided")

    def has(self, name: str) -> bool:
        """Kamal's key?: the secret is defined and not blank."""
        value = self._lookup(name)
        return value is not None and bool(value.strip())

    def _lookup(self, name: str) -> str | None:
        with self._lock:
            for _, resolver in reversed(self._load()):
                value = resolver.get(name)
                if value is not None:
                    return value
        return None

    def all(self) -> dict[str, Secret]:
        """Every secret, resolved, in Kamal's order (first definition's place, last value)."""
        merged: dict[str, Secret] = {}
        with self._lock:
            for _, resolver in self._load():
                for key in resolver.names():
                    merged[key] = Secret(resolver.get(key) or "")
        return merged

    def _load(self) -> list[tuple[str, Resolver]]:
        if self._files is None:
            legacy = self.env.get("DOTENV_LINEBREAK_MODE") == "legacy"
            self._files = []
            for filename in self.files:
                text = (self.root / filename).read_text(encoding="utf-8")
                entries = parse_dotenv(text, filename=filename, legacy_linebreaks=legacy)
                run = partial(self._run, filename)
                self._files.append((filename, Resolver(entries, env=self.env.get, run=run)))
        return self._files

    def _run(
        self, filename: str, command: Command, entry: Entry, text: str, used: tuple[str, ...]
    ) -> str:
        shown = f"{filename}:{entry.line}: `$({_short(command.written)})`"
        if is_secrets_command(text):
            try:
                return run_secrets_line(text)
            except (DockyardError, ValueError) as error:
                raise SecretsError(f"{shown} failed: {redacted(str(error), used)}") from None
        try:
            done = run_shell(text, env=self.env, cwd=self.root, redact=used)
        except OSError as error:
            raise SecretsError(f"{shown} could not run: {error.strerror}") from None
        if not done.ok:
            tail = redacted(done.stderr_tail, used) or "no output on stderr"
            raise SecretsError(f"{shown} exited {done.exit_status}: {tail}")
        return done.stdout


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
