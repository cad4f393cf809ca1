"""Where the entries of a `.kamal/secrets*` file are (the dotenv gem's format): a scanner, pure.

It reads an entry from the start of a line and skips, a line at a time, what is not one:
    [export ]KEY[ = value | ": " value][ # comment]
A quoted value may run over several lines: it closes with the last candidate quote after which
the line ends or a comment starts (a quote after a backslash is a candidate, up to the first one
that is not); an unquoted value ends at a `#` or at its line's end. What a value means (escapes,
variables, commands) is config/dotenv.py's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# The tokens of an entry (re.ASCII: `\s` is Ruby's blank, `\w` its ASCII word character).
_EXPORT = re.compile(r"export\s+(?=[\w.])", re.ASCII)
_KEY = re.compile(r"[\w.]+", re.ASCII)
_SEPARATOR = re.compile(r"\s*=|:\s", re.ASCII)
_UNQUOTED = re.compile(r"[^#\n]+")
_END_OF_ENTRY = re.compile(r"\s*(?:#.*)?$", re.ASCII | re.MULTILINE)  # maybe a comment, a line end
_BLANK = " \t\n\v\f\r"  # `\s`
_RUBY_BLANK = _BLANK + "\0"  # what Ruby's String#strip removes


@dataclass(frozen=True)
class RawValue:
    quote: str | None  # ', " or None when unquoted
    text: str  # between the quotes


@dataclass(frozen=True)
class RawEntry:
    key: str
    offset: int  # of the key in the text
    exported: bool
    value: RawValue | None  # None: no value written (`KEY`, `KEY=`, `export KEY`)


def read_entries(text: str) -> Iterator[RawEntry]:
    """The entries of a text, each read from the start of a line; a line where none starts is
    skipped, and so is the rest of the line an entry ends on."""
    at = 0
    while at < len(text):
        read = _entry_at(text, at)
        if read is None:
            at = _next_line(text, at)
            continue
        found, at = read
        yield found
        if at > 0 and text[at - 1] != "\n":
            at = _next_line(text, at)


def _next_line(text: str, at: int) -> int:
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline + 1


def _after_blanks(text: str, at: int) -> int:
    while at < len(text) and text[at] in _BLANK:
        at += 1
    return at


def _entry_at(text: str, at: int) -> tuple[RawEntry, int] | None:
    """The entry at a line start and where it ends. `export` may also be the key itself
    (`export=1`, or `export` alone on its line before a line that is no entry)."""
    at = _after_blanks(text, at)
    export = _EXPORT.match(text, at)
    if export is not None:
        read = _entry(text, export.end(), exported=True)
        if read is not None:
            return read
    return _entry(text, at, exported=False)


def _entry(text: str, at: int, *, exported: bool) -> tuple[RawEntry, int] | None:
    key = _KEY.match(text, at)
    if key is None:
        return None
    value, at = None, key.end()
    separator = _SEPARATOR.match(text, at)
    if separator is not None:
        value, at = _quoted_value(text, separator.end()) or _unquoted_value(text, separator.end())
    end = _END_OF_ENTRY.match(text, at)
    if end is None:
        return None
    return RawEntry(key[0], key.start(), exported, value), end.end()


def _quoted_value(text: str, at: int) -> tuple[RawValue, int] | None:
    """A value that opens with a quote (blanks before it, line breaks too, are skipped) and
    closes with the same quote where an entry may end: the last such candidate wins."""
    opening = _after_blanks(text, at)
    quote = text[opening : opening + 1]
    if quote not in ("'", '"'):
        return None
    start = opening + 1
    for close in reversed(_closing_quotes(text, start, quote)):
        if _END_OF_ENTRY.match(text, close + 1):
            return RawValue(quote, text[start:close]), close + 1
    return None


def _closing_quotes(text: str, start: int, quote: str) -> list[int]:
    """The quotes that may close a value starting at `start`: each one after a backslash (of
    the value), then the first that is not."""
    found: list[int] = []
    at = text.find(quote, start)
    while at >= 0:
        found.append(at)
        if at - 1 < start or text[at - 1] != "\\":
            break
        at = text.find(quote, at + 1)
    return found


def _unquoted_value(text: str, at: int) -> tuple[RawValue | None, int]:
    """The rest of the line up to a `#`, stripped; quotes around all of it still quote it.
    None when a `#` or the line's end follows the separator (so `export KEY=` is `export KEY`)."""
    run = _UNQUOTED.match(text, at)
    if run is None:
        return None, at
    value = run[0].strip(_RUBY_BLANK)
    if len(value) >= 2 and value[0] in ("'", '"') and value[-1] == value[0]:
        return RawValue(value[0], value[1:-1]), run.end()
    return RawValue(None, value), run.end()
