"""Which check each special kind of key gets (the kinds are listed in schema.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.config import validate_roles as roles
from dockyard.config import validate_special as special
from dockyard.config.validate import Validator
from dockyard.config.yamlsource import Path


def backups_kind(v: Validator, value: Any, path: Path) -> None:
    """x-dockyard/backups: checked by dockyard.config.backups, located like other keys."""
    from dockyard.config.backups import backups_from_raw
    from dockyard.errors import ConfigError

    accessories = v.root.get("accessories")
    names = tuple(str(n) for n in accessories) if isinstance(accessories, dict) else ()
    try:
        backups_from_raw({"x-dockyard": {"backups": value}}, names)
    except ConfigError as error:
        v.fail(tuple(error.key.split("/")), error.message)


KINDS: dict[str, Callable[[Validator, Any, Path], None]] = {
    "hosts": special.hosts, "roles": roles.roles, "env": special.env,
    "registry": special.registry, "credential": special.credential, "proxy": special.proxy,
    "ssl": special.ssl, "arch": special.arch, "hooks_output": special.hooks_output,
    "ssh_config": special.ssh_config, "paths": special.paths, "accessories": roles.accessories,
    "aliases": special.aliases, "backups": backups_kind,
}  # fmt: skip
