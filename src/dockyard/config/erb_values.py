"""Ruby values as ERB templates see them, and what a template may touch: pure.

Only nil and false are false; nil.to_s is ""; methods are the few that config files use.
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


def ruby_class(value: Value) -> str:
    return {type(None): "nil", bool: "true/false", int: "Integer", str: "String"}[type(value)]


def to_i(value: Value, where: Where) -> int:
    if value is None or isinstance(value, int):
        return int(value or 0)
    if isinstance(value, str):
        match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*)", value)
        return int(match.group(1).replace("_", "")) if match else 0
    raise where.fail(f"undefined method 'to_i' for {ruby_class(value)}")


def chomp(text: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


STRING_METHODS: dict[str, Callable[[str], Value]] = {
    "strip": lambda s: s.strip(_BLANK),
    "lstrip": lambda s: s.lstrip(_BLANK),
    "rstrip": lambda s: s.rstrip(_BLANK),
    "chomp": chomp,
    "downcase": str.lower,
    "upcase": str.upper,
    "empty?": lambda s: s == "",
}
ANY_METHODS = {"to_s", "to_i", "nil?", "present?", "blank?"}


def call(value: Value, name: str, where: Where) -> Value:
    if name == "to_s":
        return to_s(value)
    if name == "to_i":
        return to_i(value, where)
    if name == "nil?":
        return value is None
    if name in ("present?", "blank?"):
        blank = not truthy(value) or (isinstance(value, str) and not value.strip(_BLANK))
        return blank == (name == "blank?")
    if isinstance(value, str) and name in STRING_METHODS:
        return STRING_METHODS[name](value)
    hint = " (is an ENV variable not set?)" if value is None else ""
    raise where.fail(f"undefined method '{name}' for {ruby_class(value)}{hint}")


def plus(left: Value, right: Value, where: Where) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if type(left) is int and type(right) is int:
        return left + right
    raise where.fail(f"cannot add {ruby_class(right)} to {ruby_class(left)} with +")


def equal(left: Value, right: Value) -> bool:
    return type(left) is type(right) and left == right
