"""Check a loaded config against the schema, key by key, as Kamal 2's validator does.

The first problem found raises ConfigError with the key path Kamal uses (`servers/web/hosts`) and
the file and line where that key was written. Types follow Kamal: a "string" also accepts numbers,
booleans and :symbols; integers must be whole numbers; unknown keys are errors.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from dockyard.config.schema import KAMAL1_KEYS, SECTIONS, Key
from dockyard.config.yamlsource import Doc, Path
from dockyard.errors import ConfigError

BUILTIN_COMMANDS = frozenset(
    ["accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help", "init",
     "lock", "proxy", "prune", "redeploy", "registry", "remove", "rollback", "secrets", "server",
     "setup", "upgrade", "version", "lab"]
)  # fmt: skip
ALIAS_NAME = re.compile(r"\A[a-z0-9_-]+\Z")
MAP = "a map (key: value)"


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


class Validator:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.root: dict[Any, Any] = doc.value if isinstance(doc.value, dict) else {}

    def fail(self, path: Path, message: str, *, at: Path | None = None) -> NoReturn:
        file, line = self.doc.where(path if at is None else at)
        key = "/".join(str(part) for part in path)
        raise ConfigError(message, key=key, file=file, line=line)

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
        names = ", ".join(str(k) for k in keys)
        from dockyard.config.docs import doc_section_of

        docs = doc_section_of(name)
        self.fail(
            path, f"unknown key{plural}: {names} (see `dockyard docs {docs}`)", at=(*path, keys[0])
        )

    def key(self, value: Any, entry: Key, path: Path) -> None:
        from dockyard.config import validate_special as special
        from dockyard.config.validate_kinds import KINDS

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
            special.after_section(self, entry.section, section, path)
        elif entry.kind == "enum":
            self.expect(value in entry.choices, path, " or ".join(entry.choices), value)
        else:
            KINDS[entry.kind](self, value, path)

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


# Kamal checks the top level first (unknown keys, then each key's type, sections only by shape),
# then each section in the order it builds them. Following it picks the same first error.
SECTION_ORDER = (
    "servers", "registry", "accessories", "aliases", "boot", "builder", "env", "logging",
    "proxy", "ssh", "sshkit", "output", "x-dockyard",
)  # fmt: skip


def validate(doc: Doc) -> dict[Any, Any]:
    """Validate the whole document; returns the top-level map."""
    from dockyard.config import validate_special as special
    from dockyard.config.validate_roles import labels

    checker = Validator(doc)
    if not isinstance(doc.value, dict):
        checker.fail((), f"the config should be a map of settings, not {describe(doc.value)}")
    if not doc.value:
        checker.fail(("service",), "the config is empty; `dockyard init` writes a starting point")
    root = checker.section(doc.value, "root", (), later=SECTION_ORDER)
    labels(checker, root.get("labels"), ())
    for key in SECTION_ORDER:
        if key in root:
            checker.key(root[key], SECTIONS["root"][key], (key,))
        elif key == "registry" and not _ssh_delivery(root):
            special.registry(checker, {}, (key,))  # Kamal checks these even when missing
        elif key == "builder":
            special.after_section(checker, key, {}, (key,))
    return root


def _ssh_delivery(root: dict[Any, Any]) -> bool:
    """Images delivered over SSH (x-dockyard.delivery: ssh) need no registry section."""
    section = root.get("x-dockyard")
    return isinstance(section, dict) and section.get("delivery") == "ssh"
