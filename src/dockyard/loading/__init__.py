"""Load config/deploy.yml (+ the destination file) from disk into a validated Config.

    from dockyard.loading import load_config
    config = load_config("config/deploy.yml", destination="staging", version=None, root=app_dir)

Each file is rendered with ERB (KAMAL_DESTINATION set), parsed with line marks, deep-merged
(destination over base), validated with Kamal 2's rules and built into frozen objects. The version
is --version, else $VERSION, else git HEAD (+ `_uncommitted_<hex16>` when the tree is dirty and
builder.context is set, as in Kamal). Every problem is a ConfigError (or ErbError) with the key
path, file and line.

Config (dockyard.config.objects) in brief:
    service, image, version, destination, registry (server, local, local_port, username/password
    as Credential literal-or-secret-name), builder, ssh, sshkit, boot, logging, env, env_tags,
    labels, volumes, accessories, aliases, dockyard (runtime, proxy_image), timeouts with Kamal's
    defaults (retain_containers 5, readiness_delay 7, deploy_timeout 30, drain_timeout 30), ...
    roles: sorted Role objects (name, hosts with tags, primary, cmd, options, labels, env,
           merged logging, resolved proxy or None, asset_path, stop_timeout)
    container_name(role[, version]), proxy_service_name(role), repository, absolute_image,
    latest_tag, latest_image, service_and_destination, primary_role, primary_host, app_hosts,
    all_hosts, hosts_for_roles(names), hosts_with_tag(tag), proxy_roles, proxy_hosts,
    labels_for(role), env_for(role, host), stop_timeout_for(role), boot_limit(), hook_output(hook),
    secret_names, runtime.
Secrets are never read here: Config keeps secret NAMES only; resolve them lazily with
dockyard.secrets (load_secrets(config.secrets_path, config.destination, root=...)).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dockyard.config import Config, check_destination, merged_document, parse_document
from dockyard.config.yamllimits import MAX_FILE_BYTES, check_byte_size, check_size
from dockyard.errors import ConfigError
from dockyard.loading.compose import compose_project, load_compose
from dockyard.loading.version import resolve_version

DEFAULT_CONFIG_FILE = "config/deploy.yml"

__all__ = ["DEFAULT_CONFIG_FILE", "Config", "config_files", "load_config", "read_rendered"]


def config_files(config_file: str, destination: str | None) -> list[str]:
    """The base file and, with a destination, `<base without .yml>.<destination>.yml`."""
    files = [config_file]
    if destination:
        stem = (
            config_file[: -len(Path(config_file).suffix)]
            if Path(config_file).suffix
            else config_file
        )
        files.append(f"{stem}.{destination}.yml")
    return files


def read_rendered(root: Path, shown: str, destination: str | None) -> str:
    """One config file's text (`shown`, relative to the app's directory `root`) after ERB,
    rendered in root as Kamal renders it in its working directory; each is bounded in size
    (config/yamllimits.py)."""
    text = read_config_text(root / shown, shown, destination)
    if "<%" not in text:
        return text
    # start-up: imported here on purpose: most configs have no ERB, and the ERB modules cost
    # `dockyard config` about 6 ms of its ~150 ms start (measured: median of 40 runs, 2 cores).
    from dockyard.templating import render_erb

    rendered = render_erb(text, filename=shown, destination=destination, root=root, export_env=True)
    check_size(rendered, filename=shown, what="renders with ERB to")
    return rendered


def read_config_text(path: Path, shown: str, destination: str | None) -> str:
    """A config file's text: refused when over MAX_FILE_BYTES (before reading it all) or not
    UTF-8."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
            size = os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        hint = " (run `dockyard init` to create one)" if destination is None else ""
        raise ConfigError(f"Configuration file not found in {shown}{hint}") from None
    except OSError as error:
        raise ConfigError(f"cannot read {shown}: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        check_byte_size(max(size, len(data)), filename=shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"is not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start}); save it "
            "as UTF-8",
            file=shown,
        ) from None


def load_config(
    config_file: str = DEFAULT_CONFIG_FILE,
    destination: str | None = None,
    version: str | None = None,
    *,
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The validated Config; `root` is the app directory (default: the current directory)."""
    root = root or Path.cwd()
    env = os.environ if env is None else env
    check_destination(destination)
    compose_files = compose_project(root, config_file, env)
    if compose_files is not None:
        if destination:
            raise ConfigError("a Compose project has no destinations; pick its files with -c or "
                              "$COMPOSE_FILE instead of -d")  # fmt: skip
        return load_compose(root, compose_files, env, version=version)
    files = [
        (name, read_rendered(root, name, destination))
        for name in config_files(config_file, destination)
    ]
    doc = merged_document(files)
    builder = doc.value.get("builder") if isinstance(doc.value, dict) else None
    context = builder.get("context") if isinstance(builder, dict) else None

    def version_for() -> str:
        return resolve_version(version, env, root=root, git_clone=context is None)

    hooks_path = doc.value.get("hooks_path", ".kamal/hooks") if isinstance(doc.value, dict) else ""
    return parse_document(
        doc,
        destination=destination,
        version=version_for,
        hook_files=_hook_files(root / str(hooks_path)),
    )


def _hook_files(directory: Path) -> frozenset[str]:
    try:
        return frozenset(entry.name for entry in directory.iterdir())
    except OSError:
        return frozenset()
