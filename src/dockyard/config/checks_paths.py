"""Accessory files and directories stay inside the accessory's directory on the server.

As in Kamal, a file goes to `~/<accessory service>/<remote>` and a relative directory to
`~/<accessory service>/<local>`; an absolute directory is used as given (Kamal allows it, and it
is the user's explicit choice). A `..` that climbs out of `~/<accessory service>` is refused, and
the path in the container must be absolute, as the engine requires for a mount.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from dockyard.config.build import mounted_path
from dockyard.config.display import shown
from dockyard.config.settings import MountedPath
from dockyard.config.validator import Validator
from dockyard.config.yamlsource import Path


def check_accessory_paths(v: Validator, root: Mapping[str, Any], service: str) -> None:
    for name, accessory in (root.get("accessories") or {}).items():
        home = f"~/{accessory.get('service', f'{service}-{name}')}"
        for key in ("files", "directories"):
            for index, raw in enumerate(accessory.get(key) or []):
                where: Path = ("accessories", name, key, index)
                v.check(where, path_problem(key, mounted_path(raw), home))


def path_problem(key: str, mount: MountedPath, home: str) -> str | None:
    """None, or why this file or directory cannot be placed and mounted."""
    if not mount.remote.startswith("/"):
        return (
            f"the path in the container, {shown(mount.remote)}, should be absolute (the "
            "engine's rule for mounts)"
        )
    placed = mount.remote if key == "files" else mount.local
    if key == "directories" and placed.startswith("/"):
        return None
    relative = posixpath.normpath(placed.lstrip("/") or ".")
    if relative == ".." or relative.startswith("../"):
        return (
            f"{shown(placed)} leaves the accessory's directory {home} on the server; write a "
            f"path inside it{_absolute_hint(key)}"
        )
    if key == "files" and relative == ".":
        return f"{shown(placed)} names no file inside {home}; write the file's path"
    return None


def _absolute_hint(key: str) -> str:
    return ", or an absolute path (used as given)" if key == "directories" else ""
