"""The Ruby that dockyard renders without Ruby: values, and expressions parsed into closures.

The subset: string literals ('…', "…" with escapes and #{…}), integers, nil/true/false,
ENV["X"], ENV.fetch("X"[, default]) [{ default }], ENV.key?("X"), `cmd` and %x(cmd),
File.read(path), .strip .chomp .to_s .to_i .downcase .upcase .present? .blank? .nil? .empty?,
||, &&, !, ==, !=, +, … ? … : … and (…). Anything else raises ErbUnsupported while parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.errors import ErbError

Value = str | int | bool | None


class ErbUnsupported(ErbError):
    """A construct outside dockyard's Ruby subset; Ruby's own ERB can still render the file."""


@dataclass(frozen=True)
class ErbHost:
    """What a template may touch: every effect goes through these three callables."""

    env: Callable[[str], str | None]
    shell: Callable[[str], str]
    read_file: Callable[[str], str]


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def fail(self, message: str) -> ErbError:
        return ErbError(message, file=self.file, line=self.line)

    def unsupported(self, construct: str) -> ErbUnsupported:
        return ErbUnsupported(
            f"{construct} is Ruby that dockyard cannot render itself; install ruby (dockyard then"
            " renders the file with Ruby's ERB, as Kamal does) or simplify the template",
            file=self.file,
            line=self.line,
        )


# ---------------------------------------------------------------------------------------------
# Values, Ruby style: only nil and false are false; nil.to_s is "".

Expr = Callable[[ErbHost], Value]
_BLANK = " \t\n\v\f\r\0"


def truthy(value: Value) -> bool:
    return value is not None and value is not False


def to_s(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ruby_class(value: Value) -> str:
    return {type(None): "nil", bool: "true/false", int: "Integer", str: "String"}[type(value)]


def _to_i(value: Value, where: Where) -> int:
    if value is None or isinstance(value, int):
        return int(value or 0)
    if isinstance(value, str):
        match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*)", value)
        return int(match.group(1).replace("_", "")) if match else 0
    raise where.fail(f"undefined method 'to_i' for {_ruby_class(value)}")


def _chomp(text: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


_STRING_METHODS: dict[str, Callable[[str], Value]] = {
    "strip": lambda s: s.strip(_BLANK),
    "lstrip": lambda s: s.lstrip(_BLANK),
    "rstrip": lambda s: s.rstrip(_BLANK),
    "chomp": _chomp,
    "downcase": str.lower,
    "upcase": str.upper,
    "empty?": lambda s: s == "",
}
_ANY_METHODS = {"to_s", "to_i", "nil?", "present?", "blank?"}


def _call(value: Value, name: str, where: Where) -> Value:
    if name == "to_s":
        return to_s(value)
    if name == "to_i":
        return _to_i(value, where)
    if name == "nil?":
        return value is None
    if name in ("present?", "blank?"):
        blank = not truthy(value) or (isinstance(value, str) and not value.strip(_BLANK))
        return blank == (name == "blank?")
    if isinstance(value, str) and name in _STRING_METHODS:
        return _STRING_METHODS[name](value)
    hint = " (is an ENV variable not set?)" if value is None else ""
    raise where.fail(f"undefined method '{name}' for {_ruby_class(value)}{hint}")


def _plus(left: Value, right: Value, where: Where) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if type(left) is int and type(right) is int:
        return left + right
    raise where.fail(f"cannot add {_ruby_class(right)} to {_ruby_class(left)} with +")


def _equal(left: Value, right: Value) -> bool:
    return type(left) is type(right) and left == right


# ---------------------------------------------------------------------------------------------
# Parsing Ruby expressions into closures over an ErbHost.

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "s": " ", "e": "\x1b", "a": "\a"}
_ESCAPES |= {"b": "\b", "f": "\f", "v": "\v"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*[?!]?")
_INTEGER = re.compile(r"\d+(?:_\d+)*")
_LITERALS: dict[str, Value] = {"nil": None, "true": True, "false": False}
_PERCENT_CLOSE = {"(": ")", "{": "}", "[": "]", "<": ">"}


class Parser:
    def __init__(self, source: str, where: Where) -> None:
        self.source, self.pos, self.where = source, 0, where

    def rest(self) -> str:
        self.skip_space()
        return self.source[self.pos :]

    def skip_space(self) -> None:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "#":  # a Ruby comment runs to the end of the line
                end = self.source.find("\n", self.pos)
                if end < 0:  # ... and in Ruby's ERB past the tag, into the template's line
                    raise self.where.unsupported("a # comment that does not end inside its tag")
                self.pos = end
            elif char in " \t\r\n":
                self.pos += 1
            else:
                return

    def take(self, text: str) -> bool:
        self.skip_space()
        if self.source.startswith(text, self.pos):
            self.pos += len(text)
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.take(text):
            raise self.unsupported()

    def unsupported(self) -> ErbUnsupported:
        snippet = self.rest().split("\n")[0][:40].strip() or "the end of the tag"
        line = self.where.line + self.source.count("\n", 0, self.pos)
        return Where(self.where.file, line).unsupported(f"`{snippet}`")

    def word(self) -> str | None:
        self.skip_space()
        match = _NAME.match(self.source, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def expression(self) -> Expr:
        condition = self.disjunction()
        if not self.take("?"):
            return condition
        then = self.expression()
        self.expect(":")
        otherwise = self.expression()
        return lambda host: then(host) if truthy(condition(host)) else otherwise(host)

    def disjunction(self) -> Expr:
        left = self.conjunction()
        while self.take("||"):
            left = _or(left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.take("&&"):
            left = _and(left, self.negation())
        return left

    def negation(self) -> Expr:
        if self.take("!"):
            inner = self.negation()
            return lambda host: not truthy(inner(host))
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum()
        for operator in ("==", "!="):
            if self.take(operator):
                right, same = self.sum(), operator == "=="
                return lambda host: _equal(left(host), right(host)) == same
        return left

    def sum(self) -> Expr:
        left, where = self.postfix(), self.where
        while self.take("+"):
            right = self.postfix()
            left = _bind_plus(left, right, where)
        return left

    def postfix(self) -> Expr:
        value = self.primary()
        while self.take("."):
            name = self.word()
            if name is None or name not in _ANY_METHODS | set(_STRING_METHODS):
                raise self.where.unsupported(f"method `.{name}`")
            if self.take("("):
                self.expect(")")
            value = _bind_call(value, name, self.where)
        return value

    def primary(self) -> Expr:
        self.skip_space()
        char = self.source[self.pos : self.pos + 1]
        if char in ("'", '"', "`"):
            self.pos += 1
            return self.quoted(char, None, char != "'", shell=char == "`")
        if self.take("%x"):
            opener = self.source[self.pos : self.pos + 1]
            if opener not in _PERCENT_CLOSE:
                raise self.unsupported()
            self.pos += 1
            return self.quoted(_PERCENT_CLOSE[opener], opener, True, shell=True)
        if self.take("("):
            inner = self.expression()
            self.expect(")")
            return inner
        if match := _INTEGER.match(self.source, self.pos):
            self.pos, number = match.end(), int(match.group().replace("_", ""))
            return lambda host: number
        return self.named()

    def named(self) -> Expr:
        start = self.pos
        name = self.word()
        if name in _LITERALS:
            literal = _LITERALS[name]
            return lambda host: literal
        if name == "ENV":
            return self.env()
        if name == "File" and self.take(".") and self.word() == "read" and self.take("("):
            path = self.expression()
            self.expect(")")
            return _bind_read(path, self.where)
        self.pos = start
        raise self.unsupported()

    def env(self) -> Expr:
        where = self.where
        if self.take("["):
            key = self.expression()
            self.expect("]")
            return lambda host: host.env(_key(key(host), where))
        if not self.take("."):
            raise self.where.unsupported("`ENV` used other than as ENV[…] or ENV.fetch(…)")
        method = self.word()
        if method in ("key?", "has_key?", "include?") and self.take("("):
            key = self.expression()
            self.expect(")")
            return lambda host: host.env(_key(key(host), where)) is not None
        if method != "fetch" or not self.take("("):
            raise self.where.unsupported(f"`ENV.{method}`")
        key = self.expression()
        default = self.expression() if self.take(",") else None
        self.expect(")")
        if default is None and self.take("{"):
            if self.rest().startswith("|"):
                raise self.where.unsupported("a block with parameters")
            default = self.expression()
            self.expect("}")
        return _bind_fetch(key, default, where)

    def quoted(self, close: str, opener: str | None, interpolate: bool, *, shell: bool) -> Expr:
        """The body of a string literal (after its opening quote) up to its closing quote."""
        parts: list[str | Expr] = []
        text, depth = "", 0
        while True:
            if self.pos >= len(self.source):
                raise self.where.fail(f"string starting with {opener or close} is never closed")
            char = self.source[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.source):
                text += self.escape(close, interpolate)
            elif interpolate and self.source.startswith("#{", self.pos - 1):
                self.pos += 1
                parts += [text, self.expression()]
                text = ""
                self.expect("}")
            elif char == opener:
                text, depth = text + char, depth + 1
            elif char == close and depth > 0:
                text, depth = text + char, depth - 1
            elif char == close:
                break
            else:
                text += char
        parts.append(text)
        return _bind_string(parts, self.where if shell else None)

    def escape(self, close: str, interpolate: bool) -> str:
        char = self.source[self.pos]
        self.pos += 1
        if interpolate:
            return _ESCAPES.get(char, char)
        return char if char in (close, "\\") else "\\" + char


def _key(value: Value, where: Where) -> str:
    if not isinstance(value, str):
        raise where.fail(f"ENV keys are strings, not {_ruby_class(value)}")
    return value


def _or(left: Expr, right: Expr) -> Expr:
    return lambda host: value if truthy(value := left(host)) else right(host)


def _and(left: Expr, right: Expr) -> Expr:
    return lambda host: right(host) if truthy(value := left(host)) else value


def _bind_plus(left: Expr, right: Expr, where: Where) -> Expr:
    return lambda host: _plus(left(host), right(host), where)


def _bind_call(receiver: Expr, name: str, where: Where) -> Expr:
    return lambda host: _call(receiver(host), name, where)


def _bind_read(path: Expr, where: Where) -> Expr:
    def read(host: ErbHost) -> Value:
        name = _key(path(host), where)
        try:
            return host.read_file(name)
        except OSError as error:
            raise where.fail(f'File.read("{name}"): {error.strerror or error}') from None

    return read


def _bind_fetch(key: Expr, default: Expr | None, where: Where) -> Expr:
    def fetch(host: ErbHost) -> Value:
        name = _key(key(host), where)
        value = host.env(name)
        if value is not None:
            return value
        if default is None:
            raise where.fail(f'ENV.fetch("{name}"): {name} is not set; set it or give a default')
        return default(host)

    return fetch


def _bind_string(parts: list[str | Expr], shell_at: Where | None) -> Expr:
    def build(host: ErbHost) -> Value:
        text = "".join(part if isinstance(part, str) else to_s(part(host)) for part in parts)
        if shell_at is None:
            return text
        try:
            return host.shell(text)
        except OSError as error:
            raise shell_at.fail(f"`{text}` could not run: {error.strerror or error}") from None

    return build
