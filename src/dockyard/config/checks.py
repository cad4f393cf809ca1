"""Rules across keys that Kamal checks once every section is valid (required keys, roles, SSL)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from dockyard.config.checks_names import check_names
from dockyard.config.checks_paths import check_accessory_paths
from dockyard.config.env_limits import clear_env_problem
from dockyard.config.load_balancer import MAX_EDGES
from dockyard.config.merge import deep_merge_values
from dockyard.config.objects import Config
from dockyard.config.validate_special import hooks_output_levels, is_local_registry
from dockyard.config.validator import Validator
from dockyard.config.yamlsource import Path

SERVICE_NAME = re.compile(r"\A[a-zA-Z0-9_-]+\Z")
# The Kamal release whose config dockyard reads; `minimum_version` is compared with it.
KAMAL_COMPAT_VERSION = "2.12.0"
# The version strings Ruby's Gem::Version accepts.
GEM_VERSION = re.compile(
    r"\A\s*[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*\Z"
)
TRAEFIK_HOOKS = ("pre-traefik-reboot", "post-traefik-reboot")


def check_config(v: Validator, config: Config, *, hook_files: frozenset[str]) -> None:
    """In Kamal's order: what its section objects check, then its ensure_* rules."""
    raw = config.raw
    builder = raw.get("builder") or {}
    remote = str(builder.get("remote") or "")
    if config.registry.local and remote and not remote.startswith("ssh://"):
        v.fail(("builder", "remote"), "Local registry with remote builder requires an SSH URL "
               "(e.g., ssh://user@host)")  # fmt: skip
    if config.require_destination and not config.destination:
        v.fail(("require_destination",), "is true: pass a destination with -d/--destination")
    check_required(v, config)
    if config.minimum_version is not None and not GEM_VERSION.match(config.minimum_version):
        v.fail(("minimum_version",), f"Malformed version number string {config.minimum_version} "
               "(write it like 2.4.0)")  # fmt: skip
    if config.minimum_version and version_key(config.minimum_version) > version_key(
        KAMAL_COMPAT_VERSION
    ):
        v.fail(("minimum_version",), f"is {config.minimum_version}, but dockyard reads Kamal "
               f"{KAMAL_COMPAT_VERSION} configs; lower it or upgrade dockyard")  # fmt: skip
    if config.retain_containers < 1:
        v.fail(("retain_containers",), "Must retain at least 1 container")
    if not isinstance(raw.get("service"), str) or not SERVICE_NAME.match(config.service):
        v.fail(("service",), "Service name can only include alphanumeric characters, hyphens, "
               "and underscores")  # fmt: skip
    if not isinstance(raw.get("hooks_path", ""), str):  # Kamal fails here, joining it to a path
        v.fail(("hooks_path",), f"should be a directory path, not {raw['hooks_path']!r}")
    found = [name for name in TRAEFIK_HOOKS if name in hook_files]
    if found:
        v.fail(("hooks_path",), f"Found {', '.join(found)}, these should be renamed to "
               "(pre|post)-proxy-reboot")  # fmt: skip
    check_ssl(v, config)
    check_proxy_runs(v, config)
    if "hooks_output" in raw:
        hooks_output_levels(v, raw["hooks_output"])
    check_names(v, raw, config)
    check_accessory_paths(v, raw, config.service)
    check_clear_env(v, config)


def check_clear_env(v: Validator, config: Config) -> None:
    """The clear env of every container (each role on each host, each accessory) fits the
    command line it goes on (env_limits.py)."""
    for role in config.roles:
        for host in role.host_names:
            clear = config.env_for(role.name, host).clear
            problem = clear_env_problem(clear, f"role {role.name} on {host}")
            v.check(_env_path(config, role.name), problem)
    for accessory in config.accessories:
        where: Path = ("accessories", accessory.name, "env")
        v.check(where, clear_env_problem(accessory.env.clear, f"accessory {accessory.name}"))


def _env_path(config: Config, role: str) -> Path:
    """The role's own env section if it has one, else the root env."""
    servers = config.raw.get("servers")
    settings = servers.get(role) if isinstance(servers, dict) else None
    return (
        ("servers", role, "env") if isinstance(settings, dict) and "env" in settings else ("env",)
    )


def check_required(v: Validator, config: Config) -> None:
    raw = config.raw
    if raw.get("service") in (None, ""):
        v.fail(("service",), "Missing required configuration for service (e.g. service: myapp)")
    if raw.get("image") in (None, "") and not is_local_registry(
        (raw.get("registry") or {}).get("server")
    ):
        v.fail(("image",), "Missing required configuration for image (only a localhost:PORT "
               "registry lets it default to the service)")  # fmt: skip
    if raw.get("servers") is None:
        if not raw.get("accessories"):
            v.fail(("servers",), "No servers or accessories specified")
        return
    check_roles(v, config)


def check_roles(v: Validator, config: Config) -> None:
    primary = config.primary_role
    if primary is None:
        v.fail(("primary_role",), f"The primary_role {config.primary_role_name} isn't defined; "
               "add that role under servers or set primary_role")  # fmt: skip
    if not primary.hosts:
        v.fail(("servers", primary.name), f"No servers specified for the {primary.name} "
               "primary_role")  # fmt: skip
    if not config.allow_empty_roles:
        for role in config.roles:
            if not role.hosts:
                v.fail(("servers", role.name), f"No servers specified for the {role.name} role. "
                       "You can ignore this with allow_empty_roles: true")  # fmt: skip


def check_ssl(v: Validator, config: Config) -> None:
    # With load balancer edges, the edges terminate TLS and share one certificate; so do a
    # swarm's edges, on its web hosts without a load balancer (one or two: they pass the
    # ACME challenges to each other)
    balanced = config.dockyard.load_balancer is not None
    swarm = config.dockyard.backend == "swarm"
    edges = {h for r in config.proxy_roles for h in r.host_names}
    for role in config.roles:
        proxy = role.proxy
        acme = proxy is not None and proxy.ssl and proxy.custom_certificate is None
        if acme and swarm and not balanced and len(edges) > MAX_EDGES:
            v.fail(_proxy_path(config, role.name), f"ssl: true on a swarm gets one certificate "
                   f"for at most {MAX_EDGES} edges, which run on the web hosts ({len(edges)}) "
                   "without a load balancer: set x-dockyard/load_balancer/hosts to one or two "
                   "of them")  # fmt: skip
        elif acme and not balanced and not swarm and len(role.hosts) > 1:
            v.fail(_proxy_path(config, role.name), "SSL is only supported on a single server "
                   f"unless you provide custom certificates, found {len(role.hosts)} servers "
                   f"for role {role.name}")  # fmt: skip
    ssl_hosts = Counter(h for r in config.roles if r.proxy and r.proxy.ssl for h in r.proxy.hosts)
    shared = [host for host, count in ssl_hosts.items() if count > 1]
    if shared:
        v.fail(
            ("proxy",), f"Different roles can't share the same host for SSL: {', '.join(shared)}"
        )


def check_proxy_runs(v: Validator, config: Config) -> None:
    """Everything routed through the proxy of one host must agree on how that proxy runs."""
    seen: dict[str, tuple[Any, Path]] = {}
    for hosts, run, path in _proxy_runs(config):
        for host in hosts:
            if host in seen and seen[host][0] != run:
                # Point at the role or accessory that departs from the root proxy/run.
                where = path if path != ROOT_RUN else seen[host][1]
                v.fail(where, f"Conflicting proxy run configurations for host {host}; "
                       "the proxy is shared, so give everything on it the same run")  # fmt: skip
            seen.setdefault(host, (run, path))


ROOT_RUN: Path = ("proxy", "run")


def _proxy_runs(config: Config) -> list[tuple[tuple[str, ...], Any, Path]]:
    raw = config.raw
    root_proxy = raw["proxy"] if isinstance(raw.get("proxy"), dict) else {}
    root_run = root_proxy.get("run")
    servers = raw["servers"] if isinstance(raw.get("servers"), dict) else {}
    runs: list[tuple[tuple[str, ...], Any, Path]] = []
    for role in config.proxy_roles:
        settings = servers.get(role.name)
        role_proxy = settings.get("proxy") if isinstance(settings, dict) else None
        role_run = role_proxy.get("run") if isinstance(role_proxy, dict) else None
        if root_run is None and role_run is None:
            continue
        path = ("servers", role.name, "proxy", "run") if role_run is not None else ROOT_RUN
        runs.append((role.host_names, deep_merge_values(root_run or {}, role_run or {}), path))
    for accessory in config.accessories:
        accessory_proxy = raw["accessories"][accessory.name].get("proxy")
        if isinstance(accessory_proxy, dict) and accessory_proxy.get("run") is not None:
            path = ("accessories", accessory.name, "proxy", "run")
            runs.append((accessory.hosts, accessory_proxy["run"], path))
    return runs


def _proxy_path(config: Config, role: str) -> tuple[str, ...]:
    servers = config.raw.get("servers")
    if (
        isinstance(servers, dict)
        and isinstance(servers.get(role), dict)
        and "proxy" in servers[role]
    ):
        return ("servers", role, "proxy")
    return ("proxy",)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions like Ruby's Gem::Version: numbers numerically, a pre-release sorts first."""
    parts = re.findall(r"\d+|[a-zA-Z]+", version)
    key = [(1, int(p)) if p.isdigit() else (0, p) for p in parts]
    while key and key[-1] == (1, 0):
        key.pop()
    return tuple(key)
