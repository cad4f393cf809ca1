"""An accessory's mounts and secrets from a Compose service (normalised by `docker compose
config`, which makes every relative path absolute): what dockyard honours, and a Report for the
rest. Used by config/compose_services.py.

    named volume                 -> volumes: Compose's own volume name (`<project>_<volume>`)
    bind of a file of the project -> files: uploaded to the server and mounted (Kamal's files)
    bind of an absolute path     -> volumes: that path on the server, as `docker compose up`
    outside the project             there binds it
    secret from a file           -> files: uploaded and mounted at its target (/run/secrets/...)

A bind of a directory of the project (or of a path missing in it), and a secret from the
environment or external, are reported: dockyard uploads files, not directories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.config.compose_reports import Report


@dataclass(frozen=True)
class ProjectFiles:
    """What the mapping needs to know of this machine (the loader looks)."""

    directory: str  # the project directory, absolute: where Compose resolved relative paths
    files: frozenset[str] = frozenset()  # bind sources and secret files in it that are files


def accessory_mounts(
    service: Mapping[str, Any], project: Mapping[str, Any], path: str,
    local: ProjectFiles | None, reports: list[Report],
) -> tuple[list[str], list[str]]:  # fmt: skip
    """(volumes, files) of the accessory's entry."""
    volumes: list[str] = []
    files: list[str] = []
    declared = project.get("volumes") or {}
    for i, volume in enumerate(service.get("volumes") or []):
        where = f"{path}.volumes[{i}]"
        source, target, kind = volume.get("source"), volume["target"], volume.get("type")
        mode = ":ro" if volume.get("read_only") else ""
        if kind == "volume" and source:
            name = (declared.get(source) or {}).get("name") or source
            volumes.append(f"{name}:{target}{mode}")
        elif kind == "bind" and source and local is not None:
            if not _in_project(source, local):
                volumes.append(f"{source}:{target}{mode}")
            elif source in local.files:
                files.append(f"{source}:{target}")
            else:
                reports.append(
                    Report(
                        where,
                        "not a file of the project (a directory, or "
                        "missing): dockyard uploads files, not directories; use "
                        "a named volume, or an absolute path on the server",
                    )
                )
        else:
            reports.append(Report(where, f"a {kind} mount is not supported yet; use a named "
                                  "volume"))  # fmt: skip
    return volumes, files + _secret_files(service, project, path, local, reports)


def _secret_files(
    service: Mapping[str, Any], project: Mapping[str, Any], path: str,
    local: ProjectFiles | None, reports: list[Report],
) -> list[str]:  # fmt: skip
    files = []
    declared = project.get("secrets") or {}
    for i, secret in enumerate(service.get("secrets") or []):
        source = str(secret.get("source"))
        file = (declared.get(source) or {}).get("file")
        target = secret.get("target") or f"/run/secrets/{source}"
        if file and local is not None and file in local.files:
            files.append(f"{file}:{target}")
            for key in ("uid", "gid", "mode"):
                if secret.get(key) is not None:
                    reason = "the file is uploaded as an accessory's files are (0600)"
                    reports.append(Report(f"{path}.secrets[{i}].{key}", reason))
        else:
            reports.append(Report(f"{path}.secrets[{i}]", "only a secret from a file of the "
                                  "project is mounted; give this one as an env secret "
                                  "(x-dockyard env, from .kamal/secrets)"))  # fmt: skip
    return files


def _in_project(source: str, local: ProjectFiles) -> bool:
    return source == local.directory or source.startswith(local.directory.rstrip("/") + "/")
