"""Kinds of key Kamal checks with rules of their own: hosts, roles, env, registry, proxy..."""

from __future__ import annotations

import re
from typing import Any

from dockyard.config.backups import parse_backups
from dockyard.config.cron_jobs import parse_cron_jobs, role_hosts
from dockyard.config.load_balancer import parse_load_balancer
from dockyard.config.swarm import parse_swarm_roles, runtime_problem
from dockyard.config.validator import MAP, Validator, describe, is_stringish
from dockyard.config.yamlsource import Path
from dockyard.errors import ConfigError

BUILTIN_COMMANDS = frozenset(
    ["accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help", "init",
     "lock", "proxy", "prune", "redeploy", "registry", "remove", "rollback", "secrets", "server",
     "setup", "upgrade", "version", "lab"]
)  # fmt: skip
ALIAS_NAME = re.compile(r"\A[a-z0-9_-]+\Z")
ENV_KEYS = ("clear", "secret", "tags")
HOOK_OUTPUT_LEVELS = ("quiet", "verbose")


def ruby_truthy(value: Any) -> bool:
    """Ruby's truth: only nil and false are false ({} and "" are true)."""
    return value is not None and value is not False


def is_local_registry(server: Any) -> bool:
    """Kamal's rule: a server starting with `localhost:` (a bare `localhost` is not local)."""
    return isinstance(server, str) and server.startswith("localhost:")


def hosts(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, list), path, "a list of hosts", value)
    for index, item in enumerate(value):
        where = (*path, index)
        if isinstance(item, dict):
            if len(item) != 1:
                v.fail(where, "multiple hosts found; write one `- host: tags` per line")
            host, tags = next(iter(item.items()))
            v.string_list_or_string(tags, (*where, host))
        else:
            v.expect(is_stringish(item), where, "a host name or `host: tags`", item)


def env(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, dict), path, MAP, value)
    if not any(key in value for key in ENV_KEYS):
        v.strmap(value, path)
        return
    unknown = [key for key in value if key not in ENV_KEYS]
    if unknown:
        v.fail(path, f"unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
               "(with clear/secret, every variable goes under one of them)")  # fmt: skip
    if "clear" in value:
        v.strmap(value["clear"], (*path, "clear"))
    if "secret" in value:
        v.collection(value["secret"], (*path, "secret"), "list")
    if "tags" in value:
        if path != ("env",):
            v.fail(path, "tags are only allowed in the root env")
        v.expect(isinstance(value["tags"], dict), (*path, "tags"), MAP, value["tags"])
        for tag, tag_env in value["tags"].items():
            v.expect(isinstance(tag_env, dict), (*path, "tags", tag), MAP, tag_env)
            env(v, tag_env, (*path, "tags", tag))


def registry(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, dict), path, MAP, value)
    v.section(value, "registry", path)
    if "server" in value:
        v.expect(
            isinstance(value["server"], str), (*path, "server"), "a host[:port]", value["server"]
        )
    local = is_local_registry(value.get("server"))
    for key in ("username", "password"):
        credential = value.get(key)
        if not local and credential in (None, "", []):
            v.fail((*path, key), "is required (a value, or a one-item list naming a secret); "
                   "only a localhost:PORT registry needs none")  # fmt: skip
        one_secret = isinstance(credential, list) and len(credential) == 1
        if credential is not None and not (
            isinstance(credential, str) or (one_secret and isinstance(credential[0], str))
        ):
            v.fail((*path, key), "should be a string or an array with one string (for secret "
                   "lookup)")  # fmt: skip


def credential(v: Validator, value: Any, path: Path) -> None:
    """username/password are checked by registry(), with the server in view."""


def proxy(v: Validator, value: Any, path: Path) -> None:
    if path[0] == "servers" and isinstance(value, bool):
        return
    v.expect(isinstance(value, dict), path, MAP if path[0] != "servers" else "true, false or "
             "a map (key: value)", value)  # fmt: skip
    v.section(value, "proxy", path)
    if path[0] != "servers":
        proxy_rules(v, value, path)


def proxy_rules(v: Validator, value: dict[Any, Any], path: Path) -> None:
    if "host" in value and "hosts" in value:
        v.fail(path, "Specify one of 'host' or 'hosts', not both")
    ssl = value.get("ssl")
    if ruby_truthy(ssl) and not value.get("host") and not value.get("hosts"):
        v.fail(path, "Must set a host to enable automatic SSL")
    if isinstance(ssl, dict):
        for have, need in (("certificate_pem", "private_key_pem"), ("private_key_pem", "")):
            need = need or "certificate_pem"
            if ssl.get(have) and not ssl.get(need):
                v.fail(path, f"Missing {need} setting (required when {have} is present)")
    run = value.get("run")
    if isinstance(run, dict) and run.get("publish") is False and _publishes(run):
        v.fail(path, "Cannot set http_port, https_port or bind_ips when publish is false")


def _publishes(run: dict[Any, Any]) -> bool:
    return any(
        run.get(key) not in (None, "", []) for key in ("http_port", "https_port", "bind_ips")
    )


def ssl(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, bool | dict), path, "true, false or a map (key: value)", value)


def arch(v: Validator, value: Any, path: Path) -> None:
    items = value if isinstance(value, list) else [value]
    if not all(is_stringish(item) for item in items):
        v.fail(path, f"should be a list or a string (amd64, arm64), not {describe(value)}")


def hooks_output(v: Validator, value: Any, path: Path) -> None:
    """The type here; the level names are checked last, as Kamal does (hooks_output_levels)."""
    for hook, level in _levels(value):
        v.expect(isinstance(level, str), path if hook is None else (*path, hook), "quiet or "
                 "verbose", level)  # fmt: skip


def hooks_output_levels(v: Validator, value: Any) -> None:
    for hook, level in _levels(value):
        if str(level).lstrip(":") not in HOOK_OUTPUT_LEVELS:
            where = ("hooks_output",) if hook is None else ("hooks_output", hook)
            v.fail(where, f"Invalid hooks_output '{level}', must be one of: quiet, verbose")


def _levels(value: Any) -> list[tuple[Any, Any]]:
    return list(value.items()) if isinstance(value, dict) else [(None, value)]


def ssh_config(v: Validator, value: Any, path: Path) -> None:
    if isinstance(value, list):
        v.collection(value, path, "list")
    else:
        v.expect(isinstance(value, bool | str), path, "true, false, a path or a list", value)


def paths(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, list), path, "a list", value)
    for index, item in enumerate(value):
        where = (*path, index)
        v.expect(is_stringish(item) or isinstance(item, dict), where, "a string or a map", item)
        if isinstance(item, dict):
            for key in ("local", "remote", "mode", "owner", "options"):
                if key in item:
                    v.expect(is_stringish(item[key]), (*where, key), "a string", item[key])


def aliases(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, dict), path, MAP, value)
    for name, command in value.items():
        where = (*path, name)
        v.expect(is_stringish(command), where, "a string", command)
        if not ALIAS_NAME.match(str(name)):
            v.fail(where, f"Invalid alias name: '{name}'. Must only contain lowercase letters, "
                   "alphanumeric, hyphens and underscores.")  # fmt: skip
        if name in BUILTIN_COMMANDS:
            v.fail(where, f"Alias '{name}' conflicts with a built-in command.")


def backups(v: Validator, value: Any, path: Path) -> None:
    """x-dockyard/backups: checked by config/backups.py, located like other keys."""
    accessories = v.root.get("accessories")
    names = tuple(str(n) for n in accessories) if isinstance(accessories, dict) else ()
    try:
        parse_backups(value, names)
    except ConfigError as error:
        v.fail(tuple(error.key.split("/")), error.message)


def load_balancer(v: Validator, value: dict[Any, Any]) -> None:
    """x-dockyard/load_balancer's own rules (config/load_balancer.py), located like other keys."""
    try:
        parse_load_balancer(value, v.root)
    except ConfigError as error:
        v.fail(tuple(error.key.split("/")), error.message)


def swarm_roles(v: Validator, value: Any, path: Path) -> None:
    """x-dockyard/swarm/roles: checked by config/swarm.py, located like other keys."""
    servers = v.root.get("servers")
    names: tuple[str, ...] = ("web",) if isinstance(servers, list) else ()
    names += tuple(str(n) for n in servers) if isinstance(servers, dict) else ()
    try:
        parse_swarm_roles(value, tuple(sorted(names)))
    except ConfigError as error:
        v.fail(tuple(error.key.split("/")), error.message)


def cron(v: Validator, value: Any, path: Path) -> None:
    """x-dockyard/cron: checked by config/cron_jobs.py against the roles and their hosts (once
    `servers` is in a shape to read), located like other keys."""
    roles = role_hosts(v.root)
    if roles is None:
        return
    try:
        parse_cron_jobs(value, roles, str(v.root.get("primary_role", "web")))
    except ConfigError as error:
        v.fail(tuple(error.key.split("/")), error.message)


def swarm_rules(v: Validator, name: str, value: dict[Any, Any], path: Path) -> None:
    """Podman has no Swarm; Swarm's monitor is at least a second."""
    if name == "x-dockyard":
        problem = runtime_problem(value.get("backend", "ssh"), value.get("runtime", "docker"))
        v.check((*path, "backend"), problem)
    elif name == "x_swarm" and value.get("monitor") is not None and value["monitor"] < 1:
        v.fail((*path, "monitor"), f"should be at least 1 second, not {value['monitor']}")


BOOT_LIMIT = re.compile(r"\A\d+%?\Z")


LOG_LEVELS = ("debug", "info", "warn", "error", "fatal", "unknown")


def after_section(v: Validator, name: str, value: dict[Any, Any], path: Path) -> None:
    level = value.get("log_level")
    if name == "ssh" and level is not None and not _valid_log_level(level):
        v.fail((*path, "log_level"), f"invalid log level: {level} (use debug, info, warn, "
               "error or fatal)")  # fmt: skip
    port = value.get("port")
    if name == "ssh" and port is not None and not re.fullmatch(r"\d+", str(port)):
        v.fail((*path, "port"), f"should be a port number, not {port!r}")
    if name == "boot" and "limit" in value and not BOOT_LIMIT.match(str(value["limit"])):
        v.fail((*path, "limit"), "should be a number of hosts or a percentage like 25%")
    if name in ("otel", "output_file"):
        output_rules(v, name, value, path)
    if name == "x_load_balancer":
        load_balancer(v, value)
    if name in ("x-dockyard", "x_swarm"):
        swarm_rules(v, name, value, path)
    if name != "builder":
        return
    cache_type = (value.get("cache") or {}).get("type")
    if ruby_truthy(cache_type) and cache_type not in ("gha", "registry"):
        v.fail(path, f"Invalid cache type: {cache_type} (use gha or registry)")
    if value.get("arch") in (None, "", []):
        v.fail(path, "Builder arch not set; add `arch: amd64` (or arm64, or a list)")
    if (
        ruby_truthy(value.get("pack"))
        and isinstance(value["arch"], list)
        and len(value["arch"]) > 1
    ):
        v.fail(path, "buildpacks only support building for one arch")
    if value.get("local") is False and not value.get("remote"):
        v.fail(path, "Cannot disable local builds, no remote is set")


def output_rules(v: Validator, name: str, value: dict[Any, Any], path: Path) -> None:
    """output/otel needs an http(s) endpoint, output/file a path (Kamal 2.12 refuses both
    missing at load time too)."""
    if name == "otel":
        endpoint = value.get("endpoint")
        if not endpoint:
            v.fail((*path, "endpoint"), "is required: the base URL of your OTLP HTTP collector, "
                   "e.g. http://otel-gateway:4318")  # fmt: skip
        if not re.match(r"\Ahttps?://[^/\s]+", endpoint):
            v.fail((*path, "endpoint"), f"should be an http:// or https:// URL, not {endpoint!r}")
    elif not value.get("path"):
        v.fail((*path, "path"), "is required: the directory the log files go to, e.g. log/deploys")


def _valid_log_level(level: Any) -> bool:
    """What Ruby's Logger accepts: an integer, or a level name in any case."""
    if isinstance(level, int):
        return True
    return str(level).lstrip(":").lower() in LOG_LEVELS
