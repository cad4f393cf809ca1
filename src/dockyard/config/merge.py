"""Destination files deep-merged over the base file, as ActiveSupport's `deep_merge!` does.

Maps merge key by key, recursively; anything else (lists included) in the later file replaces the
earlier value whole. The marks follow: a replaced subtree forgets the lines of the old one.
"""

from __future__ import annotations

from typing import Any

from dockyard.config.yamlsource import Doc, Path


def deep_merge(base: Doc, override: Doc) -> Doc:
    marks = dict(base.marks)
    value = _merge(base.value, override.value, (), marks, override)
    return Doc(value=value, marks=marks)


def _merge(
    base: Any, override: Any, path: Path, marks: dict[Path, tuple[str, int]], source: Doc
) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            child = (*path, key)
            if child in source.marks:
                marks[child] = source.marks[child]
            if key in result:
                result[key] = _merge(result[key], value, child, marks, source)
            else:
                _take_marks(child, marks, source)
                result[key] = value
        return result
    _forget_marks(path, marks)
    _take_marks(path, marks, source)
    return override


def _forget_marks(path: Path, marks: dict[Path, tuple[str, int]]) -> None:
    for known in [p for p in marks if len(p) > len(path) and p[: len(path)] == path]:
        del marks[known]


def _take_marks(path: Path, marks: dict[Path, tuple[str, int]], source: Doc) -> None:
    for known, mark in source.marks.items():
        if known[: len(path)] == path:
            marks[known] = mark


def deep_merge_values(base: Any, override: Any) -> Any:
    """deep_merge on plain values (no marks): maps merge recursively, the rest is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = deep_merge_values(result[key], value) if key in result else value
        return result
    return override
