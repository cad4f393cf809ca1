"""The key-by-key checker of a loaded config, as Kamal 2's validator does it.

The first problem found raises ConfigError with the key path Kamal uses (`servers/web/hosts`) and
the file and line where that key was written. Types follow Kamal: a "string" also accepts numbers,
booleans and :symbols; integers must be whole numbers; unknown keys are errors.

Validator knows the plain kinds of schema.py; the special kinds (hosts, roles, env...) and the
rules run after a section are handed to it by validate.py, which is the only module that knows
them all. That keeps the imports one way: validator <- validate_special <- validate_roles <-
validate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from dockyard.config.display import shown
from dockyard.config.docs import doc_section_of
from dockyard.config.schema import KAMAL1_KEYS, SECTIONS, Key
from dockyard.config.yamlsource import Doc, Path
from dockyard.errors import ConfigError

MAP = "a map (key: value)"

KindCheck = Callable[["Validator", Any, Path], None]
SectionRule = Callable[["Validator", str, dict[Any, Any], Path], None]


def describe(value: Any) -> str:
    """What a value is, in the words of the error messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a map"


def is_stringish(value: Any) -> bool:
    return isinstance(value, str | int | float)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _no_rule(v: Validator, name: str, value: dict[Any, Any], path: Path) -> None:
    """A section with no rules beyond its keys' types."""


class Validator:
    """Checks values against the schema; `kinds` checks the special kinds, `after_section` runs
    a section's own rules once its keys are checked. Without them it can only `fail`/`expect`
    and check plain kinds."""

    def __init__(
        self,
        doc: Doc,
        *,
        kinds: Mapping[str, KindCheck] = MappingProxyType({}),
        after_section: SectionRule = _no_rule,
    ) -> None:
        self.doc = doc
        self.root: dict[Any, Any] = doc.value if isinstance(doc.value, dict) else {}
        self.kinds = kinds
        self.after_section = after_section

    def fail(self, path: Path, message: str, *, at: Path | None = None) -> NoReturn:
        file, line = self.doc.where(path if at is None else at)
        key = "/".join(_key_part(part) for part in path)
        raise ConfigError(message, key=key, file=file, line=line)

    def check(self, path: Path, problem: str | None) -> None:
        """Fail at path with the problem a rule found, if it found one."""
        if problem is not None:
            self.fail(path, problem)

    def expect(self, ok: bool, path: Path, wanted: str, value: Any) -> None:
        if not ok:
            self.fail(path, f"should be {wanted}, not {describe(value)}")

    def section(
        self, value: Any, name: str, path: Path, *, later: tuple[str, ...] = ()
    ) -> dict[Any, Any]:
        """Check a map against its schema; keys in `later` only get a shape check here."""
        self.expect(isinstance(value, dict), path, "a map (key: value)", value)
        schema = SECTIONS[name]
        unknown = [k for k in value if k not in schema and not _ignored(name, k)]
        if unknown:
            self.unknown(unknown, name, path)
        for key, item in value.items():
            if key in later:
                self.shape(item, (*path, key))
            elif key in schema:
                self.key(item, schema[key], (*path, key))
        return dict(value)

    def shape(self, value: Any, path: Path) -> None:
        """Kamal's first look at a section: a map (servers: or a list; proxy: or true/false)."""
        key = path[-1]
        if key == "servers":
            self.expect(isinstance(value, list | dict), path, "a list of hosts or a map of "
                        "roles", value)  # fmt: skip
        elif key == "proxy" and isinstance(value, bool):
            return
        elif key == "proxy" and path[0] == "servers":
            self.expect(isinstance(value, dict), path, f"true, false or {MAP}", value)
        elif not (key == "x-dockyard" and value is None):
            self.expect(isinstance(value, dict), path, MAP, value)

    def deep(self, value: dict[Any, Any], name: str, path: Path, keys: tuple[str, ...]) -> None:
        """The full check of the keys `section` left for later, in the order given."""
        for key in keys:
            if key in value:
                self.key(value[key], SECTIONS[name][key], (*path, key))

    def unknown(self, keys: list[Any], name: str, path: Path) -> NoReturn:
        if name == "root" and keys[0] in KAMAL1_KEYS:
            self.fail((keys[0],), f"is a Kamal 1 setting: {KAMAL1_KEYS[keys[0]]}")
        plural = "s" if len(keys) > 1 else ""
        names = ", ".join(_key_part(k) for k in keys)
        docs = doc_section_of(name)
        self.fail(
            path, f"unknown key{plural}: {names} (see `dockyard docs {docs}`)", at=(*path, keys[0])
        )

    def key(self, value: Any, entry: Key, path: Path) -> None:
        simple = _SIMPLE.get(entry.kind)
        if simple is not None:
            check, wanted = simple
            self.expect(check(value), path, wanted, value)
        elif entry.kind in ("list", "strmap"):
            self.collection(value, path, entry.kind)
        elif entry.kind == "section":
            if value is None and path == ("x-dockyard",):
                return  # an empty x-dockyard: section, like any x- key Kamal reads it as nothing
            section = self.section(value, entry.section, path)
            self.after_section(self, entry.section, section, path)
        elif entry.kind == "enum":
            choices = " or ".join(entry.choices)
            if value not in entry.choices:  # a wrong word is named, any other value described
                named = shown(value) if isinstance(value, str) and value else describe(value)
                self.fail(path, f"should be {choices}, not {named}")
        else:
            self.kinds[entry.kind](self, value, path)

    def collection(self, value: Any, path: Path, kind: str) -> None:
        if kind == "list":
            self.expect(isinstance(value, list), path, "a list", value)
            for index, item in enumerate(value):
                self.expect(is_stringish(item), (*path, index), "a string", item)
        else:
            self.strmap(value, path)

    def strmap(self, value: Any, path: Path) -> None:
        self.expect(isinstance(value, dict), path, "a map (key: value)", value)
        for name, item in value.items():
            self.expect(is_stringish(item), (*path, name), "a string", item)

    def string_list_or_string(self, value: Any, path: Path) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.expect(is_stringish(item), (*path, index), "a string", item)
        else:
            self.expect(is_stringish(value), path, "a list or a string", value)


def _key_part(key: Any, limit: int = 60) -> str:
    """A key as a message shows it: control characters escaped, and a long one cut short."""
    text = str(key)
    shown = text if text.isprintable() else ascii(text)[1:-1]
    return shown if len(shown) <= limit else f"{shown[:limit]}…({len(text)} characters)"


def _ignored(section: str, key: Any) -> bool:
    return section == "root" and str(key).startswith("x-") and key != "x-dockyard"


_SIMPLE = {
    "string": (is_stringish, "a string"),
    # Kamal's validator lets numbers through here too, then fails on them (File.join, split):
    "text": (lambda v: isinstance(v, str), "a string"),
    "integer": (is_integer, "a whole number"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "map": (lambda v: isinstance(v, dict), "a map (key: value)"),
}
