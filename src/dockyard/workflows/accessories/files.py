"""An accessory's local files, read and (for .erb) rendered with the accessory's env loaded, as
Kamal does; a missing file is a ConfigError that names it before anything reaches a server."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dockyard.config.settings import Accessory, MountedPath
from dockyard.errors import ConfigError
from dockyard.templating import render_erb


def rendered_files(
    accessory: Accessory, env: Mapping[str, str], root: Path, destination: str | None
) -> list[tuple[MountedPath, bytes]]:
    found = []
    for file in accessory.files:
        path = root / file.local
        if not path.is_file():
            raise ConfigError(
                f"file {file.local} not found (relative to {root.resolve()})",
                key=f"accessories/{accessory.name}/files",
            )
        content = path.read_bytes()
        if file.local.endswith(".erb"):
            text = render_erb(
                content.decode(),
                filename=str(path),
                destination=destination,
                root=root,
                env_overlay=env,
            )
            content = text.encode()
        found.append((file, content))
    return found
