"""What every vault adapter does: check its CLI, log in, fetch; and Kamal's `test` adapter."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.errors import SecretsError
from dockyard.secrets.process import Done, run_program


class Adapter:
    """One vault. Subclasses set `product` and `cli` and implement login and fetch_secrets."""

    product = "vault"
    cli = ""
    version_args: tuple[str, ...] = ("--version",)
    requires_account = True

    def check_installed(self) -> None:
        done = self.run([self.cli, *self.version_args], quiet=True)
        if not done.ok:
            raise SecretsError(
                f"{self.product} CLI is not installed (`{self.cli}` not found or failing on"
                " PATH); install it and run again"
            )

    def login(self, account: str | None) -> str | None:
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        raise NotImplementedError

    def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, quiet: bool = False
    ) -> Done:
        """Run the vendor CLI (an argv list, never a shell); a missing program exits 127."""
        merged = {**os.environ, **env} if env else None
        try:
            return run_program(argv, env=merged, quiet=quiet)
        except FileNotFoundError:
            return Done(127, "", f"{argv[0]}: command not found")

    def output(self, argv: Sequence[str], failure: str, **options: Any) -> str:
        """The stdout of a vendor command that must succeed; else `failure` and its stderr."""
        done = self.run(argv, **options)
        if not done.ok:
            raise SecretsError(f"{failure}: {done.stderr_tail or f'exited {done.exit_status}'}")
        return done.stdout

    def parse_json(self, text: str, what: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise SecretsError(f"{self.product} gave output that is not JSON for {what}") from None


def prefixed(names: Sequence[str], from_: str | None) -> list[str]:
    """Kamal's prefixed_secrets: `--from` joined before each name with a slash."""
    return [f"{from_}/{name}" if from_ else name for name in names]


class TestAdapter(Adapter):
    """Kamal's `test` adapter: each secret's value is its name reversed (LPAREN/RPAREN -> ())."""

    product = "Test"
    __test__ = False  # not a pytest test class

    def check_installed(self) -> None:
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        return {
            name: name.replace("LPAREN", "(").replace("RPAREN", ")")[::-1]
            for name in prefixed(names, from_)
        }
