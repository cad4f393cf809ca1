"""Ruby values as ERB templates see them, and what a template may touch: pure.

Only nil and false are false; nil.to_s is ""; methods are the few that config files use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dockyard.errors import ErbError

Value = str | int | bool | None | list["Value"]
Args = tuple[Value, ...]


class ErbUnsupported(ErbError):
    """A construct outside dockyard's Ruby subset; Ruby's own ERB can still render the file."""


class EffectError(Exception):
    """A command or a file read by a template that gives no usable text (too much of it, not
    UTF-8); the message says why, the caller adds the command or file and the line."""


@dataclass(frozen=True)
class ErbHost:
    """What a template may touch: every effect goes through these three callables."""

    env: Callable[[str], str | None]
    shell: Callable[[str], str]
    read_file: Callable[[str], str]
    variables: Mapping[str, Value] = field(default_factory=dict)  # of enclosing `each` blocks


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
# Values, Ruby style: only nil and false are false; nil.to_s is ""; an array's to_s is inspect.

Expr = Callable[[ErbHost], Value]
_BLANK = " \t\n\v\f\r\0"
_INSPECT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}
MAX_DIGITS = 4000  # Python reads at most 4300 digits into an int
_INSPECT |= {"\f": "\\f", "\v": "\\v", "\a": "\\a", "\b": "\\b"}


def truthy(value: Value) -> bool:
    return value is not None and value is not False


def to_s(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return inspect(value)
    return str(value)


def inspect(value: Value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(inspect(item) for item in value) + "]"
    if not isinstance(value, str):
        return "nil" if value is None else to_s(value)
    out = []
    for index, char in enumerate(value):
        if char in _INSPECT:
            out.append(_INSPECT[char])
        elif char == "#" and value[index + 1 : index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def ruby_class(value: Value) -> str:
    kinds = {type(None): "nil", bool: "true/false", int: "Integer", str: "String", list: "Array"}
    return kinds[type(value)]


def to_i(value: Value, where: Where) -> int:
    if value is None or isinstance(value, int):
        return int(value or 0)
    if isinstance(value, str):
        match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*)", value)
        if match and len(match.group(1)) > MAX_DIGITS:
            raise where.fail(f"to_i of a number of {len(match.group(1))} digits: too long")
        return int(match.group(1).replace("_", "")) if match else 0
    raise where.fail(f"undefined method 'to_i' for {ruby_class(value)}")


def chomp(text: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def split(text: str, separator: Value = None) -> list[Value]:
    """String#split: on whitespace runs with no separator (or " "); trailing empties dropped."""
    if separator is None or separator == " ":
        parts = re.split(r"[ \t\n\v\f\r]+", text.lstrip(" \t\n\v\f\r"))
    elif separator == "":
        parts = list(text)
    else:
        parts = text.split(str(separator))
    while parts and parts[-1] == "":
        parts.pop()
    return list(parts)


def join(items: list[Value], separator: Value = "") -> str:
    sep = to_s(separator)
    return sep.join(join(item, sep) if isinstance(item, list) else to_s(item) for item in items)


def uniq(items: list[Value]) -> list[Value]:
    """Array#uniq: first occurrences, compared as Ruby does (1 and true differ)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = f"{ruby_class(item)}:{inspect(item)}"
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _blank(value: Value) -> bool:
    if isinstance(value, str):
        return not value.strip(_BLANK)
    return not truthy(value) or value == []


_STRING: dict[str, Callable[[str, Args], Value]] = {
    "strip": lambda s, a: s.strip(_BLANK),
    "lstrip": lambda s, a: s.lstrip(_BLANK),
    "rstrip": lambda s, a: s.rstrip(_BLANK),
    "chomp": lambda s, a: chomp(s),
    "downcase": lambda s, a: s.lower(),
    "upcase": lambda s, a: s.upper(),
    "empty?": lambda s, a: s == "",
    "split": lambda s, a: split(s, *a),
    "include?": lambda s, a: str(a[0]) in s,
    "start_with?": lambda s, a: s.startswith(str(a[0])),
    "end_with?": lambda s, a: s.endswith(str(a[0])),
}
_LIST: dict[str, Callable[[list[Value], Args], Value]] = {
    "first": lambda v, a: v[0] if v else None,
    "last": lambda v, a: v[-1] if v else None,
    "join": lambda v, a: join(v, *a),
    "size": lambda v, a: len(v),
    "length": lambda v, a: len(v),
    "count": lambda v, a: len(v),
    "empty?": lambda v, a: not v,
    "compact": lambda v, a: [item for item in v if item is not None],
    "uniq": lambda v, a: uniq(v),
    "include?": lambda v, a: any(equal(item, a[0]) for item in v),
}
_ANY: dict[str, Callable[[Value, Where], Value]] = {
    "to_s": lambda v, w: to_s(v),
    "inspect": lambda v, w: inspect(v),
    "to_i": to_i,
    "nil?": lambda v, w: v is None,
    "present?": lambda v, w: not _blank(v),
    "blank?": lambda v, w: _blank(v),
}
# name -> (fewest, most) arguments; the names the parser accepts after a dot.
ARITY = {name: (0, 0) for name in [*_STRING, *_LIST, *_ANY]}
ARITY |= {"split": (0, 1), "join": (0, 1)}
ARITY |= {name: (1, 1) for name in ("include?", "start_with?", "end_with?")}


def call(value: Value, name: str, args: Args, where: Where) -> Value:
    if name in _ANY:
        return _ANY[name](value, where)
    if isinstance(value, str) and name in _STRING:
        if name.endswith("with?") or name == "include?":
            _want_text(args[0], name, where)
        return _STRING[name](value, args)
    if isinstance(value, list) and name in _LIST:
        return _LIST[name](value, args)
    hint = " (is an ENV variable not set?)" if value is None else ""
    raise where.fail(f"undefined method '{name}' for {ruby_class(value)}{hint}")


def _want_text(value: Value, name: str, where: Where) -> None:
    if not isinstance(value, str):
        raise where.fail(f"{name} wants a String, not {ruby_class(value)}")


def plus(left: Value, right: Value, where: Where) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    if type(left) is int and type(right) is int:
        return left + right
    raise where.fail(f"cannot add {ruby_class(right)} to {ruby_class(left)} with +")


def equal(left: Value, right: Value) -> bool:
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(equal, left, right))
    return type(left) is type(right) and left == right


# ---------------------------------------------------------------------------------------------
# Expressions as closures over an ErbHost: the parser in erb_ruby builds them with these.


def env_key(value: Value, where: Where) -> str:
    if not isinstance(value, str):
        raise where.fail(f"ENV keys are strings, not {ruby_class(value)}")
    return value


def either(left: Expr, right: Expr) -> Expr:
    return lambda host: value if truthy(value := left(host)) else right(host)


def both(left: Expr, right: Expr) -> Expr:
    return lambda host: right(host) if truthy(value := left(host)) else value


def bind_plus(left: Expr, right: Expr, where: Where) -> Expr:
    return lambda host: plus(left(host), right(host), where)


def bind_call(receiver: Expr, name: str, arguments: tuple[Expr, ...], where: Where) -> Expr:
    return lambda host: call(receiver(host), name, tuple(a(host) for a in arguments), where)


def bind_block_pass(receiver: Expr, kind: str, method: str, where: Where) -> Expr:
    """`.map(&:strip)`, `.select(&:present?)`, `.reject(&:empty?)` over an array."""

    def apply(host: ErbHost) -> Value:
        items = receiver(host)
        if not isinstance(items, list):
            raise where.fail(f"undefined method '{kind}' for {ruby_class(items)}")
        results = [call(item, method, (), where) for item in items]
        if kind == "map":
            return results
        keep = kind == "select"
        return [item for item, result in zip(items, results, strict=True) if truthy(result) == keep]

    return apply


def bind_read(path: Expr, where: Where) -> Expr:
    def read(host: ErbHost) -> Value:
        name = env_key(path(host), where)
        try:
            return host.read_file(name)
        except OSError as error:
            raise where.fail(f'File.read("{name}"): {error.strerror or error}') from None
        except EffectError as error:
            raise where.fail(f'File.read("{name}"): {error}') from None

    return read


def bind_fetch(key: Expr, default: Expr | None, where: Where) -> Expr:
    def fetch(host: ErbHost) -> Value:
        name = env_key(key(host), where)
        value = host.env(name)
        if value is not None:
            return value
        if default is None:
            raise where.fail(f'ENV.fetch("{name}"): {name} is not set; set it or give a default')
        return default(host)

    return fetch


def bind_string(parts: list[str | Expr], shell_at: Where | None) -> Expr:
    def build(host: ErbHost) -> Value:
        text = "".join(part if isinstance(part, str) else to_s(part(host)) for part in parts)
        if shell_at is None:
            return text
        try:
            return host.shell(text)
        except OSError as error:
            raise shell_at.fail(f"`{text}` could not run: {error.strerror or error}") from None
        except EffectError as error:
            raise shell_at.fail(f"`{text}` {error}") from None

    return build
