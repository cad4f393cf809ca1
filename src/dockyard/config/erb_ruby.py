"""The Ruby that dockyard renders without Ruby: expressions parsed into closures: pure.

The subset: string literals ('…', "…" with escapes and #{…}), integers, nil/true/false,
ENV["X"], ENV.fetch("X"[, default]) [{ default }], ENV.key?("X"), `cmd` and %x(cmd),
File.read(path), .strip .chomp .to_s .to_i .downcase .upcase .present? .blank? .nil? .empty?,
||, &&, !, ==, !=, +, … ? … : … and (…). Anything else raises ErbUnsupported while parsing.
"""

from __future__ import annotations

import re

from dockyard.config.erb_values import (
    ANY_METHODS,
    STRING_METHODS,
    ErbHost,
    ErbUnsupported,
    Expr,
    Value,
    Where,
    call,
    equal,
    plus,
    ruby_class,
    to_s,
    truthy,
)

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
                return lambda host: equal(left(host), right(host)) == same
        return left

    def sum(self) -> Expr:
        left, where = self.postfix(), self.where
        while self.take("+"):
            right = self.postfix()
            left = _bindplus(left, right, where)
        return left

    def postfix(self) -> Expr:
        value = self.primary()
        while self.take("."):
            name = self.word()
            if name is None or name not in ANY_METHODS | set(STRING_METHODS):
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
        raise where.fail(f"ENV keys are strings, not {ruby_class(value)}")
    return value


def _or(left: Expr, right: Expr) -> Expr:
    return lambda host: value if truthy(value := left(host)) else right(host)


def _and(left: Expr, right: Expr) -> Expr:
    return lambda host: right(host) if truthy(value := left(host)) else value


def _bindplus(left: Expr, right: Expr, where: Where) -> Expr:
    return lambda host: plus(left(host), right(host), where)


def _bind_call(receiver: Expr, name: str, where: Where) -> Expr:
    return lambda host: call(receiver(host), name, where)


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
