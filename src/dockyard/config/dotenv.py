"""`.kamal/secrets*` files: the dotenv gem's format (3.2) as Kamal reads it, into a plan: pure.

`parse_dotenv` turns a file into entries (config/dotenv_lines.py finds them); each entry's value
is a plan of parts (literal text, `$VAR` references and `$(command)` substitutions) that
`Resolver` evaluates lazily, one key at a time, with injected functions for the environment and
for running commands.

Written for dockyard from the gem's documented file format and Kamal's documentation of its
secrets files, as small scanners of its own (the design of ruby/lib/dotenv.rb); where those
documents are silent (where a quoted value ends, `export` alone, escapes inside a command...)
the behaviour is the real Kamal's, compared with Kamal 2.11 on hand-written and generated files
(tests/unit/secrets/test_kamal_oracle.py). No code of the gem or of Kamal is copied.

Single quotes are literal; in double quotes `\\n` stays `\\n` (unless
DOTENV_LINEBREAK_MODE=legacy) and other backslashes escape the next character; `$VAR`/`${VAR}`
read keys defined earlier in the same file, then the environment; `$(…)` (balanced, non-empty,
a backslash pairs with the character after it so `\\(` does not count) runs with variables in
its text expanded first; `\\$` keeps a `$` as text. One deliberate difference: a command's output
is used as is, where Kamal expands `$words` in it again (which corrupts fetched passwords that
contain a `$`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.config.dotenv_lines import RawValue, read_entries
from dockyard.errors import SecretsError

_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")


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
    for found in read_entries(text):
        line = text.count("\n", 0, found.offset) + 1
        if found.exported and found.value is None:
            if not any(entry.key == found.key for entry in entries):
                raise SecretsError(
                    f"{filename}:{line}: `export {found.key}` exports a variable never set"
                )
            continue
        legacy = legacy_linebreaks or _literal(entries, "DOTENV_LINEBREAK_MODE") == "legacy"
        entries.append(Entry(found.key, _plan(found.value, legacy), line))
    return entries


def _literal(entries: list[Entry], key: str) -> str | None:
    found = [entry.parts for entry in entries if entry.key == key]
    if found and all(isinstance(part, str) for part in found[-1]):
        return "".join(str(part) for part in found[-1])
    return None


def _plan(value: RawValue | None, legacy_linebreaks: bool) -> tuple[Part, ...]:
    if value is None:
        return ()
    if value.quote == "'":
        return (value.text,) if value.text else ()
    if value.quote == '"' and legacy_linebreaks:
        text = value.text.replace("\\n", "\n").replace("\\r", "\r")
        return _substitutions(_unescaped(text, kept="$"))
    if value.quote == '"':
        return _substitutions(_unescaped(value.text, kept="$nr"))
    return _substitutions(_unescaped(value.text, kept="$"))


def _unescaped(text: str, *, kept: str) -> str:
    """A backslash stands for the character after it, unless that character is one of `kept`:
    then both stay (`\\$` is left for the substitutions; `\\n`, `\\r` in double quotes)."""
    out: list[str] = []
    at = 0
    while (backslash := text.find("\\", at)) >= 0 and backslash + 1 < len(text):
        escaped = text[backslash + 1]
        out += [text[at:backslash], "\\" + escaped if escaped in kept else escaped]
        at = backslash + 2
    return "".join([*out, text[at:]])


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
    return tuple(parts)


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
    return Command(text, tuple(_variables(text)))


def _variables(text: str) -> list[str | Var]:
    """Text with its `$NAME` and `${NAME}` (also `${NAME`, `$NAME}`) as Var, adjacent text in one
    string. `\\$` is a `$` of the text; a `$` with no name after it, or before `(`, is text."""
    parts: list[str | Var] = []
    pending, at = "", 0
    while at < len(text):
        if text.startswith("\\$", at) and not text.startswith("(", at + 2):
            pending, at = pending + "$", at + 2
            continue
        variable = _variable_at(text, at)
        if variable is None:
            pending, at = pending + text[at], at + 1
            continue
        parts += [pending, variable[0]] if pending else [variable[0]]
        pending, at = "", variable[1]
    return [*parts, pending] if pending else parts


def _variable_at(text: str, at: int) -> tuple[Var, int] | None:
    """The variable a `$` at `at` starts (not one before `(`) and the index after it."""
    if not text.startswith("$", at) or text.startswith("(", at + 1):
        return None
    start = at + 2 if text.startswith("{", at + 1) else at + 1
    end = start
    while end < len(text) and text[end] in _NAME_CHARACTERS:
        end += 1
    if end == start:
        return None
    return Var(text[start:end]), end + 1 if text.startswith("}", end) else end


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
