"""`.kamal/secrets*` files: the dotenv gem's format (3.2) as Kamal reads it, into a plan: pure.

`parse_dotenv` turns a file into entries; each entry's value is a plan of parts (literal text,
`$VAR` references and `$(command)` substitutions) that `Resolver` evaluates lazily, one key at a
time, with injected functions for the environment and for running commands.

Semantics follow dotenv 3.2 with Kamal's InlineCommandSubstitution: lines are matched by the
gem's own line grammar; single quotes are literal; in double quotes `\\n` stays `\\n` (unless
DOTENV_LINEBREAK_MODE=legacy) and other backslashes escape the next character; an unquoted `#`
starts a comment; `$VAR`/`${VAR}` read keys defined earlier in the same file, then the
environment; `$(…)` (balanced, `\\(` escapes) runs with variables in its text expanded first.
One deliberate difference: a command's output is used as is, where Kamal expands `$words` in it
again (which corrupts fetched passwords that contain a `$`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.errors import SecretsError

_LINE = re.compile(
    r"""
    (?:^|\A) \s*
    (?P<export>export\s+)?
    (?P<key>[\w.]+)
    (?:
      (?:\s*=\s*?|:\s+?)
      (?P<value> \s*'(?:\\'|[^'])*' | \s*"(?:\\"|[^"])*" | [^\#\n]+ )?
    )?
    \s* (?:\#.*)? (?:$|\Z)
    """,
    re.VERBOSE | re.MULTILINE | re.ASCII,
)
_QUOTED = re.compile(r"(['\"])(.*)\1", re.DOTALL)
_ESCAPED = re.compile(r"\\([^$])")
_VARIABLE = re.compile(r"(\\)?\$(?!\()\{?([A-Z0-9_]+)?\}?", re.IGNORECASE | re.ASCII)
_RUBY_BLANK = " \t\n\v\f\r\0"


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Command:
    written: str  # the command as the file has it, for messages: never the substituted text
    parts: tuple[str | Var, ...]


Part = str | Var | Command


@dataclass(frozen=True)
class Entry:
    key: str
    parts: tuple[Part, ...]
    line: int


def parse_dotenv(text: str, *, filename: str, legacy_linebreaks: bool = False) -> list[Entry]:
    """Every `KEY=value` of a file, in order; `export KEY` of an unset KEY is an error."""
    text = re.sub(r"\r\n?", "\n", text)
    entries: list[Entry] = []
    for match in _LINE.finditer(text):
        key, value = match["key"], match["value"]
        line = text.count("\n", 0, match.start("key")) + 1
        if match["export"] and value is None:
            if not any(entry.key == key for entry in entries):
                raise SecretsError(
                    f"{filename}:{line}: `export {key}` exports a variable never set"
                )
            continue
        legacy = legacy_linebreaks or _literal(entries, "DOTENV_LINEBREAK_MODE") == "legacy"
        entries.append(Entry(key, _plan(value or "", legacy), line))
    return entries


def _literal(entries: list[Entry], key: str) -> str | None:
    found = [entry.parts for entry in entries if entry.key == key]
    if found and all(isinstance(part, str) for part in found[-1]):
        return "".join(str(part) for part in found[-1])
    return None


def _plan(value: str, legacy_linebreaks: bool) -> tuple[Part, ...]:
    value = value.strip(_RUBY_BLANK)
    quoted = _QUOTED.fullmatch(value)
    quote = quoted[1] if quoted else None
    if quoted:
        value = quoted[2]
    if quote == "'":
        return (value,)
    if quote == '"':
        if legacy_linebreaks:
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        else:  # the gem doubles the backslash, so the unescaping below leaves `\n` as is
            value = value.replace("\\n", "\\\\n").replace("\\r", "\\\\r")
    return _substitutions(_ESCAPED.sub(r"\1", value))


def _substitutions(value: str) -> tuple[Part, ...]:
    """Split a value into literal text, variables and commands (Kamal's scanning order)."""
    parts: list[Part] = []
    literal, index = "", 0
    while index < len(value):
        escaped = value.startswith("\\$(", index)
        start = index + 1 if escaped else index
        end = _command_end(value, start + 1) if value.startswith("$(", start) else None
        if end is None:
            literal, index = literal + value[index], index + 1
        elif escaped:  # \$(…) is kept, without its backslash, as text
            literal, index = literal + value[start:end], end
        else:
            parts += [*_variables(literal), _command(value[start + 2 : end - 1])]
            literal, index = "", end
    parts += _variables(literal)
    return tuple(part for part in parts if part != "")


def _command_end(value: str, open_paren: int) -> int | None:
    """The index after the `)` that balances the `(` at open_paren, if any."""
    index, length = open_paren + 1, 0
    while index < len(value):
        char = value[index]
        if char == ")":
            return index + 1 if length else None
        if char == "(":
            nested = _command_end(value, index)
            if nested is None:
                return None
            index = nested
        elif char == "\\":
            if value[index + 1 : index + 2] in ("", "\n"):
                return None
            index += 2
        else:
            index += 1
        length += 1
    return None


def _command(text: str) -> Command:
    return Command(text, tuple(part for part in _variables(text) if isinstance(part, str | Var)))


def _variables(text: str) -> list[str | Var]:
    parts: list[str | Var] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        parts.append(text[position : match.start()])
        if match[1]:
            parts.append(match[0][1:])
        elif match[2]:
            parts.append(Var(match[2]))
        else:
            parts.append(match[0])
        position = match.end()
    parts.append(text[position:])
    return parts


class Resolver:
    """Values of one file's entries, each worked out at most once and only when asked for.

    `run(command, entry, text, used)` runs a command whose substituted text is `text`; `used`
    holds the values substituted into it, so that messages can leave them out."""

    def __init__(
        self,
        entries: list[Entry],
        *,
        env: Callable[[str], str | None],
        run: Callable[[Command, Entry, str, tuple[str, ...]], str],
    ) -> None:
        self.entries, self.env, self.run = entries, env, run
        self._values: dict[int, str] = {}

    def names(self) -> list[str]:
        return list(dict.fromkeys(entry.key for entry in self.entries))

    def get(self, key: str) -> str | None:
        """The value of the last definition of key, or None if the file has none."""
        return self._before(key, len(self.entries))

    def _before(self, key: str, position: int) -> str | None:
        for index in range(position - 1, -1, -1):
            if self.entries[index].key == key:
                return self._value(index)
        return None

    def _value(self, index: int) -> str:
        if index not in self._values:
            entry = self.entries[index]
            out = []
            for part in entry.parts:
                if isinstance(part, Command):
                    pieces = [self._text(piece, index) for piece in part.parts]
                    used = tuple(
                        p for p, v in zip(pieces, part.parts, strict=True) if isinstance(v, Var)
                    )
                    out.append(_chomp(self.run(part, entry, "".join(pieces), used)))
                else:
                    out.append(self._text(part, index))
            self._values[index] = "".join(out)
        return self._values[index]

    def _text(self, part: str | Var, index: int) -> str:
        if isinstance(part, str):
            return part
        value = self._before(part.name, index)
        return value if value is not None else (self.env(part.name) or "")


def _chomp(text: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text
