"""An accessory's local files, read and (for .erb) rendered with the accessory's env loaded, as
Kamal does; a missing file is a ConfigError that names it before anything reaches a server."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from dockyard.config.erb import ErbUnsupported, parse
from dockyard.config.settings import Accessory, MountedPath
from dockyard.errors import ConfigError
from dockyard.templating import erb_environment, host_for, render_with_ruby


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
            content = render(content.decode(), str(path), env, destination).encode()
        found.append((file, content))
    return found


def render(text: str, filename: str, env: Mapping[str, str], destination: str | None) -> str:
    """ERB with the process env, KAMAL_DESTINATION and the accessory's env over them."""
    full = {**erb_environment(destination), **env}
    try:
        template = parse(text, filename=filename)
    except ErbUnsupported:
        ruby = shutil.which("ruby", path=full.get("PATH"))
        if ruby is None:
            raise
        return render_with_ruby(ruby, text, filename=filename, env=full)
    return template.render(host_for(full))
