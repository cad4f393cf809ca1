"""YAML text to plain values, remembering the file and line of every key, as Ruby's YAML reads it.

Kamal loads its config with Psych (`YAML.unsafe_load`): anchors and aliases work, `<<` merge
keys work, and a `<<` overrides keys written before it (Psych merges at the point it meets the
key, so later explicit keys win and earlier ones lose). Dates stay as written and `:name` stays a
string (Psych makes it a Symbol, which Kamal treats as a string everywhere).

Reading is bounded (config/yamllimits.py): file size, nesting, alias expansion; a tag other than
those of plain values is refused with its line, and so is an alias that contains itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml

from dockyard.config.display import shown
from dockyard.config.yamllimits import (
    KNOWN_TAGS,
    MAX_DEPTH,
    Budget,
    check_size,
    compose,
    shown_tag,
    too_deep,
)
from dockyard.errors import ConfigError

Path = tuple[str | int, ...]

MERGE_TAG = "tag:yaml.org,2002:merge"
_KEPT_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
# `=` and `<<` written as values: Psych reads them as strings (PyYAML has no constructor).
_READ_AS_TEXT = {"tag:yaml.org,2002:value", MERGE_TAG}
_UNREADABLE = object()
MAX_INT_BITS = 4000 * 3  # under 4000 decimal digits


@dataclass
class Doc:
    """A loaded document: the value, and where (file, line) each key path was written."""

    value: Any
    marks: dict[Path, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[str | None, int | None]:
        """File and line of the longest known prefix of path."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark:
                return mark
        return None, None


def parse_yaml(text: str, *, filename: str) -> Doc:
    """Parse one YAML document; an empty document is an empty mapping."""
    check_size(text, filename=filename)
    try:
        node = compose(text, filename=filename)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"is not valid YAML ({problem}); fix the syntax", file=filename, line=line
        ) from None
    doc = Doc(value={})
    if node is None:
        return doc
    builder = _Builder(filename, doc.marks)
    doc.value = builder.build(node, (), 0)
    return doc


class _Builder:
    def __init__(self, filename: str, marks: dict[Path, tuple[str, int]]) -> None:
        self.filename = filename
        self.marks = marks
        self.constructor = yaml.SafeLoader("")
        self.budget = Budget(filename)
        self.seen: set[int] = set()  # nodes built once: building one again expands an alias
        self.open: set[int] = set()  # nodes being built: meeting one again is a cycle

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.marks.setdefault(path, (self.filename, node.start_mark.line + 1))
        if depth > MAX_DEPTH:  # aliases can nest a value deeper than it was written
            raise too_deep(self.filename, node.start_mark.line + 1)
        self.budget.spend(node, expansion=id(node) in self.seen)
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.enter(node)
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, depth)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def enter(self, node: yaml.Node) -> None:
        if id(node) in self.open:
            self.fail(node, "an alias refers to the map or list that contains it; YAML cannot "
                      "expand that")  # fmt: skip
        if node.tag not in KNOWN_TAGS:
            self.unknown_tag(node)
        self.open.add(id(node))

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag in _KEPT_AS_TEXT or node.tag in _READ_AS_TEXT:
            return node.value
        if node.tag not in KNOWN_TAGS:
            self.unknown_tag(node)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, LookupError, OverflowError):
            value = _UNREADABLE
        # A number too big to print again (Python writes at most 4300 digits) is unreadable too.
        if value is _UNREADABLE or (isinstance(value, int) and value.bit_length() > MAX_INT_BITS):
            self.fail(node, f"cannot read {shown(node.value)} as {shown_tag(node.tag)}; quote it "
                      "to keep it as text")  # fmt: skip
        return value

    def unknown_tag(self, node: yaml.Node) -> None:
        self.fail(node, f"unknown YAML tag {shown_tag(node.tag)}; write a plain value (strings, "
                  "numbers, true/false, null, lists and maps)")  # fmt: skip

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        raise ConfigError(message, file=self.filename, line=node.start_mark.line + 1)

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                result.update(self.merged(value_node, path, depth + 1))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a key must be a plain value, not a list or map")
            key: str | int = self.key(key_node)
            child = (*path, key)
            self.marks[child] = (self.filename, key_node.start_mark.line + 1)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def key(self, node: yaml.ScalarNode) -> str | int:
        self.budget.spend(node, expansion=id(node) in self.seen)
        self.seen.add(id(node))
        value = self.scalar(node)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return "" if value is None else str(value)

    def merged(self, node: yaml.Node, path: Path, depth: int) -> dict[Any, Any]:
        """The keys a `<<` brings in; with a list, earlier maps win (Psych merges in reverse)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, "`<<` must merge a map or a list of maps")
            self.budget.spend(source, expansion=id(source) in self.seen)
            self.seen.add(id(source))
            self.enter(source)
            try:
                merged.update(self.mapping(source, path, depth))
            finally:
                self.open.discard(id(source))
        return merged
