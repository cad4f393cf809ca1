"""Which check each special kind of key gets (the kinds are listed in schema.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.config import validate_roles as roles
from dockyard.config import validate_special as special
from dockyard.config.validate import Validator
from dockyard.config.yamlsource import Path

KINDS: dict[str, Callable[[Validator, Any, Path], None]] = {
    "hosts": special.hosts, "roles": roles.roles, "env": special.env,
    "registry": special.registry, "credential": special.credential, "proxy": special.proxy,
    "ssl": special.ssl, "arch": special.arch, "hooks_output": special.hooks_output,
    "ssh_config": special.ssh_config, "paths": special.paths, "accessories": roles.accessories,
    "aliases": special.aliases,
}  # fmt: skip
