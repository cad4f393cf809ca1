"""The Ruby that dockyard renders without Ruby: expressions parsed into closures: pure.

The subset: string literals ('…', "…" with escapes and #{…}), integers, nil/true/false,
ENV["X"], ENV.fetch("X"[, default]) [{ default }], ENV.key?("X"), `cmd` and %x(cmd),
File.read(path), [arrays], the methods in erb_values.ARITY (.strip .chomp .to_i .split(",")
.join .first …), .map/.select/.reject(&:method), ||, &&, !, ==, !=, +, … ? … : …, (…), and
the variable of an enclosing `<% ….each do |name| %>`. Anything else raises ErbUnsupported.
"""

from __future__ import annotations

import re

from dockyard.config.erb_values import (
    ARITY,
    ErbUnsupported,
    Expr,
    Value,
    Where,
    bind_block_pass,
    bind_call,
    bind_fetch,
    bind_plus,
    bind_read,
    bind_string,
    both,
    either,
    env_key,
    equal,
    truthy,
)

# ---------------------------------------------------------------------------------------------
# Parsing Ruby expressions into closures over an ErbHost.

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "s": " ", "e": "\x1b", "a": "\a"}
_ESCAPES |= {"b": "\b", "f": "\f", "v": "\v"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*[?!]?")
_INTEGER = re.compile(r"\d+(?:_\d+)*")
_LITERALS: dict[str, Value] = {"nil": None, "true": True, "false": False}
# Bounds on one tag, far above real templates: parts (literals, names, calls) and nesting of
# parentheses, brackets and interpolations. Parsing and evaluating recurse once per level.
MAX_PARTS = 256
MAX_NESTING = 32
MAX_INTEGER_DIGITS = 4000
_PERCENT_CLOSE = {"(": ")", "{": "}", "[": "]", "<": ">"}


class Parser:
    def __init__(self, source: str, where: Where, scope: frozenset[str] = frozenset()) -> None:
        self.source, self.pos, self.where = source, 0, where
        self.scope = scope  # variables of enclosing each blocks
        self.allow_each = False  # a code tag may end in `.each do |name|`
        self.loop_variable: str | None = None
        self.parts = 0
        self.nesting = 0

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
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.where.fail(f"an expression nests deeper than {MAX_NESTING} levels")
        try:
            condition = self.disjunction()
            if not self.take("?"):
                return condition
            then = self.expression()
            self.expect(":")
            otherwise = self.expression()
        finally:
            self.nesting -= 1
        return lambda host: then(host) if truthy(condition(host)) else otherwise(host)

    def disjunction(self) -> Expr:
        left = self.conjunction()
        while self.take("||"):
            left = either(left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.take("&&"):
            left = both(left, self.negation())
        return left

    def negation(self) -> Expr:
        flips = 0
        while self.take("!"):
            flips += 1
        inner = self.comparison()
        if flips == 0:
            return inner
        if flips % 2:
            return lambda host: not truthy(inner(host))
        return lambda host: truthy(inner(host))

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
            left = bind_plus(left, right, where)
        return left

    def postfix(self) -> Expr:
        value = self.primary()
        while self.take("."):
            name = self.word()
            if name == "each" and self.allow_each:
                self.loop_variable = self.each_block()
                return value
            if name in ("map", "select", "reject"):
                value = self.block_pass(value, name)
                continue
            if name is None or name not in ARITY:
                raise self.where.unsupported(f"method `.{name}`")
            arguments = self.arguments()
            fewest, most = ARITY[name]
            if not fewest <= len(arguments) <= most:
                raise self.where.fail(f"wrong number of arguments ({len(arguments)}) for .{name}")
            value = bind_call(value, name, arguments, self.where)
        return value

    def arguments(self) -> tuple[Expr, ...]:
        if not self.take("(") or self.take(")"):
            return ()
        found = [self.expression()]
        while self.take(","):
            found.append(self.expression())
        self.expect(")")
        return tuple(found)

    def each_block(self) -> str:
        if self.word() != "do" or not self.take("|"):
            raise self.where.unsupported("`.each` other than `.each do |name|` ending its tag")
        name = self.word()
        if name is None or not self.take("|") or self.rest():
            raise self.where.unsupported("`.each` other than `.each do |name|` ending its tag")
        return name

    def block_pass(self, receiver: Expr, kind: str) -> Expr:
        if not (self.take("(") and self.take("&:")):
            raise self.where.unsupported(f"`.{kind}` with a block (only `.{kind}(&:method)`)")
        name = self.word()
        if name is None or ARITY.get(name, (1, 1))[0] > 0:
            raise self.where.unsupported(f"`.{kind}(&:{name})`")
        self.expect(")")
        return bind_block_pass(receiver, kind, name, self.where)

    def primary(self) -> Expr:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise self.where.fail(f"a tag holds more than {MAX_PARTS} values and calls; split it")
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
        if self.take("["):
            items = [] if self.take("]") else [self.expression()]
            while items and self.take(","):
                items.append(self.expression())
            if items:
                self.expect("]")
            return lambda host: [item(host) for item in items]
        if match := _INTEGER.match(self.source, self.pos):
            if len(match.group()) > MAX_INTEGER_DIGITS:
                raise self.where.fail(f"an integer of {len(match.group())} digits is too long")
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
        if name is not None and name in self.scope:
            return lambda host: host.variables.get(name)
        if name == "File" and self.take(".") and self.word() == "read" and self.take("("):
            path = self.expression()
            self.expect(")")
            return bind_read(path, self.where)
        self.pos = start
        raise self.unsupported()

    def env(self) -> Expr:
        where = self.where
        if self.take("["):
            key = self.expression()
            self.expect("]")
            return lambda host: host.env(env_key(key(host), where))
        if not self.take("."):
            raise self.where.unsupported("`ENV` used other than as ENV[…] or ENV.fetch(…)")
        method = self.word()
        if method in ("key?", "has_key?", "include?") and self.take("("):
            key = self.expression()
            self.expect(")")
            return lambda host: host.env(env_key(key(host), where)) is not None
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
        return bind_fetch(key, default, where)

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
        return bind_string(parts, self.where if shell else None)

    def escape(self, close: str, interpolate: bool) -> str:
        char = self.source[self.pos]
        self.pos += 1
        if interpolate:
            return _ESCAPES.get(char, char)
        return char if char in (close, "\\") else "\\" + char
