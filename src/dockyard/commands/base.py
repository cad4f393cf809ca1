"""Command values: argv as data, quoted once in `render()`, secrets redacted in logs.

Cmd   one program and its arguments
Raw   an audited fragment of shell, rendered verbatim (the only unquoted path)
Seq   commands joined by &&, ||, | or ; (a nested Seq renders inside parentheses)
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from dockyard.redaction import REDACTED, Secret


class HomePath(str):
    """A path relative to the remote user's home, rendered as "$HOME/..." so the shell expands it.

    Only for paths dockyard builds itself (no quotes, dollars or backslashes in them).
    """

    def __new__(cls, relative: str) -> HomePath:
        if any(c in relative for c in '"$`\\\n'):
            raise ValueError(f"unsafe characters in a home path: {relative!r}")
        return super().__new__(cls, relative)


@dataclass(frozen=True)
class Cmd:
    argv: tuple[str, ...]

    def render(self, *, redact: bool = False) -> str:
        return " ".join(_quote(arg, redact) for arg in self.argv)


@dataclass(frozen=True)
class Raw:
    text: str

    def render(self, *, redact: bool = False) -> str:
        return self.text


@dataclass(frozen=True)
class Seq:
    op: Literal["&&", "||", "|", ";"]
    parts: tuple[Command, ...]

    def render(self, *, redact: bool = False) -> str:
        rendered = (
            f"({part.render(redact=redact)})"
            if isinstance(part, Seq)
            else part.render(redact=redact)
            for part in self.parts
        )
        return f" {self.op} ".join(rendered)


Command = Cmd | Raw | Seq


def _quote(arg: str, redact: bool) -> str:
    if redact and isinstance(arg, Secret):
        return REDACTED
    if isinstance(arg, HomePath):
        return f'"$HOME/{arg}"'
    return shlex.quote(arg)


def cmd(*args: str | None) -> Cmd:
    """A command from its arguments; None arguments are dropped (optional flags)."""
    return Cmd(tuple(a for a in args if a is not None))


def all_of(*parts: Command) -> Seq:
    return Seq("&&", parts)


def any_of(*parts: Command) -> Seq:
    return Seq("||", parts)


def pipe(*parts: Command) -> Seq:
    return Seq("|", parts)


def repeat(flag: str, values: Iterable[str]) -> list[str]:
    """`--label a --label b` from a flag and its values."""
    return [item for value in values for item in (flag, value)]


def write_stdin(path: str) -> Raw:
    """Standard input to a file under the home, mode 0600, replaced atomically (temp + rename):
    how secrets and state reach a server without a command line or an extra round trip."""
    target = f'"$HOME/{HomePath(path)}"'
    temp = f'"$HOME/{HomePath(path)}.tmp"'
    return Raw(f"(umask 077 && cat > {temp}) && mv -f {temp} {target}")
