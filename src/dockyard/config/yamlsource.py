"""YAML text to plain values, remembering the file and line of every key, as Ruby's YAML reads it.

Kamal loads its config with Psych (`YAML.unsafe_load`): anchors and aliases work, `<<` merge
keys work, and a `<<` overrides keys written before it (Psych merges at the point it meets the
key, so later explicit keys win and earlier ones lose). Dates stay as written and `:name` stays a
string (Psych makes it a Symbol, which Kamal treats as a string everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from dockyard.errors import ConfigError

Path = tuple[str | int, ...]

MERGE_TAG = "tag:yaml.org,2002:merge"
_KEPT_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
    doc.value = builder.build(node, ())
    return doc


class _Builder:
    def __init__(self, filename: str, marks: dict[Path, tuple[str, int]]) -> None:
        self.filename = filename
        self.marks = marks
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.marks.setdefault(path, (self.filename, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag in _KEPT_AS_TEXT:
            return node.value
        return self.constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                result.update(self.merged(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    "a key must be a plain value, not a list or map",
                    file=self.filename,
                    line=key_node.start_mark.line + 1,
                )
            key: str | int = self.key(key_node)
            child = (*path, key)
            self.marks[child] = (self.filename, key_node.start_mark.line + 1)
            result[key] = self.build(value_node, child)
        return result

    def key(self, node: yaml.ScalarNode) -> str | int:
        value = self.scalar(node)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return "" if value is None else str(value)

    def merged(self, node: yaml.Node, path: Path) -> dict[Any, Any]:
        """The keys a `<<` brings in; with a list, earlier maps win (Psych merges in reverse)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise ConfigError(
                    "`<<` must merge a map or a list of maps",
                    file=self.filename,
                    line=source.start_mark.line + 1,
                )
            merged.update(self.mapping(source, path))
        return merged
