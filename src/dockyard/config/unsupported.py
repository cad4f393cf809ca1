"""Keys the schema accepts (so Kamal configs load and deploy) that dockyard does not act on.

Each one a config sets is reported once, when the config loads, as a warning that says what to do
instead: `config_warnings(root)` on the validated top-level map. Every other key of the schema is
honoured; tests/unit/config/test_every_key.py holds the two tables together and fails on a key
that is in neither.

Paths use `<role>` for a role under servers and `<name>` for an accessory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NotSupported:
    advice: str  # what to do instead
    when: Callable[[Any], bool] = lambda value: True  # only values this returns True for


PROXY_SETTINGS = "dockyard's proxy is Caddy"

# Keys under a proxy section (root, role or accessory), relative to it.
PROXY_KEYS: dict[str, NotSupported] = {
    "buffering/max_response_body": NotSupported(
        f"{PROXY_SETTINGS}, which does not cap response bodies; limit them in the app"
    ),
    "buffering/memory": NotSupported(
        f"{PROXY_SETTINGS}, which sizes its own buffers; remove the key"
    ),
    "logging": NotSupported(
        f"{PROXY_SETTINGS}: its request log records every header (credentials redacted); "
        "remove the key"
    ),
    "run/metrics_port": NotSupported(
        f"{PROXY_SETTINGS}, whose metrics dockyard does not publish; remove the key"
    ),
    "run/debug": NotSupported(
        f"{PROXY_SETTINGS}; read its log with `dockyard proxy logs`; remove the key"
    ),
    "run/registry": NotSupported(f"{PROXY_SETTINGS}: set its image with x-dockyard/proxy/image"),
    "run/repository": NotSupported(f"{PROXY_SETTINGS}: set its image with x-dockyard/proxy/image"),
    "run/version": NotSupported(f"{PROXY_SETTINGS}: set its image with x-dockyard/proxy/image"),
}


def _proxy_keys(prefix: str) -> dict[str, NotSupported]:
    return {f"{prefix}/{key}": entry for key, entry in PROXY_KEYS.items()}


NOT_SUPPORTED: dict[str, NotSupported] = {
    "hooks_output": NotSupported("a hook's output is shown when the hook fails; remove the key"),
    "error_pages_path": NotSupported(
        f"{PROXY_SETTINGS}, which answers errors with its own short responses; serve error "
        "pages from the app"
    ),
    "run_directory": NotSupported("Kamal 2 ignores it too; remove the key"),
    "sshkit/pool_idle_timeout": NotSupported(
        "dockyard keeps one connection per host for one command and closes it at the end; "
        "remove the key"
    ),
    "sshkit/dns_retries": NotSupported(
        "a host name that does not resolve fails at once; use an address or fix the DNS"
    ),
    "builder/pack": NotSupported(
        "Cloud Native Buildpacks are not supported; build from a Dockerfile (builder/dockerfile)"
    ),
    "builder/driver": NotSupported(
        "dockyard builds with the builder host's current buildx builder; select another "
        "with `docker buildx use` there"
    ),
    "builder/local": NotSupported(
        "dockyard builds on builder/remote whenever it is set (as with local: false), and here "
        "otherwise; to build the local arch here, remove builder/remote",
        when=lambda value: value is True,
    ),
    **_proxy_keys("proxy"),
    **_proxy_keys("servers/<role>/proxy"),
    **_proxy_keys("accessories/<name>/proxy"),
}


def config_warnings(root: Mapping[Any, Any]) -> tuple[str, ...]:
    """One line per not-supported key the config sets, in the order of NOT_SUPPORTED."""
    warnings = []
    for pattern, entry in NOT_SUPPORTED.items():
        for path, value in find(root, pattern.split("/")):
            if entry.when(value):
                warnings.append(f"{path} is not supported and is ignored: {entry.advice}")
    return tuple(warnings)


def find(value: Any, parts: list[str], path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every key matching the pattern's parts: `<role>` and `<name>` match
    each key of the map they are in (roles written as a map; a plain host list has none)."""
    if not parts:
        yield path, value
        return
    if not isinstance(value, Mapping):
        return
    head, rest = parts[0], parts[1:]
    keys = list(value) if head in ("<role>", "<name>") else [head] if head in value else []
    for key in keys:
        yield from find(value[key], rest, f"{path}/{key}" if path else str(key))
