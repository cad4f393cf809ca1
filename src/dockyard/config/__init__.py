"""Pure configuration: YAML text (already ERB-rendered) to a validated, frozen Config.

    parse_config([(filename, text), ...], destination=None, version="abc", hook_files=frozenset())

The files are the base config then the destination file; later files are deep-merged over earlier
ones. Errors are ConfigError with the key path and the file and line. Reading files, ERB, git and
secrets belong to dockyard.loading (load_config), which calls this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from dockyard.config.build import build_config
from dockyard.config.checks import check_config
from dockyard.config.merge import deep_merge
from dockyard.config.names import engine_name_problem, version_problem
from dockyard.config.objects import Config
from dockyard.config.unsupported import config_warnings
from dockyard.config.validate import validate
from dockyard.config.validator import Validator
from dockyard.config.yamlsource import Doc, parse_yaml
from dockyard.errors import ConfigError

__all__ = ["Config", "check_destination", "merged_document", "parse_config", "parse_document"]


def merged_document(files: Iterable[tuple[str, str]]) -> Doc:
    """Parse each (filename, text) and deep-merge them in order."""
    merged: Doc | None = None
    for filename, text in files:
        doc = parse_yaml(text, filename=filename)
        if not isinstance(doc.value, dict):
            Validator(doc).fail((), "the config should be a map of settings, not a list or value")
        merged = doc if merged is None else deep_merge(merged, doc)
    return merged if merged is not None else Doc(value={})


def parse_config(
    files: Iterable[tuple[str, str]],
    *,
    destination: str | None = None,
    version: str | Callable[[], str],
    hook_files: frozenset[str] = frozenset(),
) -> Config:
    return parse_document(
        merged_document(files), destination=destination, version=version, hook_files=hook_files
    )


def parse_document(
    doc: Doc,
    *,
    destination: str | None,
    version: str | Callable[[], str],
    hook_files: frozenset[str] = frozenset(),
) -> Config:
    """Validate and build; a callable version is asked for only once the config is valid."""
    check_destination(destination)
    root = validate(doc)
    checker = Validator(doc)
    config = build_config(root, destination=destination, version="")
    check_config(checker, config, hook_files=hook_files)
    resolved = version if isinstance(version, str) else version()
    problem = version_problem(resolved)
    if problem is not None:
        raise ConfigError(problem, key="version")
    return dataclasses.replace(config, version=resolved, warnings=config_warnings(root))


def check_destination(destination: str | None) -> None:
    """A destination names files (config/deploy.<destination>.yml) and is part of container
    names: checked before any file is read."""
    problem = engine_name_problem("", destination) if destination is not None else None
    if problem is not None:
        raise ConfigError(problem, key="destination")
