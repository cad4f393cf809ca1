"""An accessory's local files, read and (for .erb) rendered with the accessory's env loaded, as
Kamal does; a missing file is a ConfigError that names it before anything reaches a server.

A template that names one of the accessory's secret variables, or whose output holds one of
their values (however the template reached it), is rendered from secrets: its file is written
0600 (commands/accessory.py), where Kamal writes every file 0755."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockyard.config.settings import Accessory, MountedPath
from dockyard.errors import ConfigError
from dockyard.templating import render_erb


@dataclass(frozen=True)
class LocalFile:
    file: MountedPath
    content: bytes
    from_secrets: bool  # rendered by a template that reads a secret, or holding one


def rendered_files(
    accessory: Accessory,
    env: Mapping[str, str],
    root: Path,
    destination: str | None,
    secrets: Mapping[str, str] | None = None,
) -> list[LocalFile]:
    """Each file's content; env holds the accessory's clear env and its secrets, which are
    `secrets` (name -> value, as the container sees them)."""
    secrets = secrets or {}
    found = []
    for file in accessory.files:
        path = root / file.local
        if not path.is_file():
            raise ConfigError(
                f"file {file.local} not found (relative to {root.resolve()})",
                key=f"accessories/{accessory.name}/files",
            )
        content = path.read_bytes()
        from_secrets = False
        if file.local.endswith(".erb"):
            template = content.decode()
            text = render_erb(
                template, filename=str(path), destination=destination, root=root, env_overlay=env
            )
            content = text.encode()
            from_secrets = names_a_secret(template, secrets) or holds_a_secret(
                text, secrets.values()
            )
        found.append(LocalFile(file, content, from_secrets))
    return found


def names_a_secret(template: str, secret_names: Collection[str]) -> bool:
    """The template names one of these variables (ENV["NAME"], ENV.fetch("NAME")...)."""
    return any(
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", template)
        for name in secret_names
    )


def holds_a_secret(text: str, values: Iterable[str]) -> bool:
    """The rendered text holds one of these (non-empty) secret values."""
    return any(value and value in text for value in values)
