"""Swarm settings, from `x-dockyard: {backend: swarm, swarm: {...}}` (pure).

    x-dockyard:
      backend: swarm                 # ssh (default): dockyard's own deploy over SSH
      swarm:
        network: shop-swarm          # the attachable overlay network (default <service>-swarm)
        monitor: 5                   # seconds each updated task is watched (default 5)
        roles:
          web:                       # a role's name
            replicas: 3              # default: the number of the role's hosts
            placement: [node.labels.zone==a]
            parallelism: 1           # tasks updated at once (default 1)

Docker Swarm ships inside Docker Engine; Podman has none, so `runtime: podman` with
`backend: swarm` is refused when the config loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.config.schema_swarm import X_SWARM, X_SWARM_ROLE
from dockyard.errors import ConfigError

ROLE_KEYS = tuple(X_SWARM_ROLE)
DEFAULT_MONITOR = int(X_SWARM["monitor"][2])
DEFAULT_PARALLELISM = int(X_SWARM_ROLE["parallelism"][2])
PATH = "x-dockyard/swarm"


@dataclass(frozen=True)
class SwarmRole:
    """How one role runs as a Swarm service; replicas None: one per host of the role."""

    replicas: int | None = None
    placement: tuple[str, ...] = ()
    parallelism: int = DEFAULT_PARALLELISM


@dataclass(frozen=True)
class Swarm:
    network: str | None = None  # None: <service>-swarm
    monitor: int = DEFAULT_MONITOR
    roles: Mapping[str, SwarmRole] = field(default_factory=dict)  # by role name

    def role(self, name: str) -> SwarmRole:
        return self.roles.get(name, SwarmRole())


def parse_swarm(section: Any, roles: tuple[str, ...]) -> Swarm:
    """The `x-dockyard/swarm` section (its shape already checked against the schema)."""
    section = section or {}
    return Swarm(
        network=str(section["network"]) if section.get("network") is not None else None,
        monitor=int(section.get("monitor", DEFAULT_MONITOR)),
        roles=parse_swarm_roles(section.get("roles"), roles),
    )


def parse_swarm_roles(section: Any, roles: tuple[str, ...]) -> dict[str, SwarmRole]:
    """`x-dockyard/swarm/roles` as role name -> SwarmRole; ConfigError with the key path for
    anything wrong."""
    path = f"{PATH}/roles"
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError("should be a map of role names to swarm settings", key=path)
    found: dict[str, SwarmRole] = {}
    for name, raw in section.items():
        name = str(name)
        if name not in roles:
            known = ", ".join(roles) or "none"
            raise ConfigError(f"no role named {name} (roles: {known})", key=f"{path}/{name}")
        found[name] = swarm_role(raw, f"{path}/{name}")
    return found


def swarm_role(raw: Any, path: str) -> SwarmRole:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"should be a map ({', '.join(ROLE_KEYS)})", key=path)
    unknown = [str(k) for k in raw if k not in ROLE_KEYS]
    if unknown:
        raise ConfigError(f"unknown key: {unknown[0]} (known: {', '.join(ROLE_KEYS)})", key=path)
    replicas = raw.get("replicas")
    if replicas is not None:
        _whole(replicas, 0, f"{path}/replicas")
    parallelism = raw.get("parallelism", DEFAULT_PARALLELISM)
    _whole(parallelism, 1, f"{path}/parallelism")
    placement = raw.get("placement") or []
    if not isinstance(placement, list) or not all(_constraint(c) for c in placement):
        raise ConfigError(
            "should be a list of constraints like node.labels.zone==a or node.role!=worker",
            key=f"{path}/placement",
        )
    return SwarmRole(replicas=replicas, placement=tuple(placement), parallelism=parallelism)


def _whole(value: Any, least: int, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"should be a whole number of at least {least}, not {value!r}", key=path)


def _constraint(value: Any) -> bool:
    """`left==right` or `left!=right`, one line, no quotes (Swarm's constraint syntax)."""
    if not isinstance(value, str) or any(c in value for c in "\n\r\"'"):
        return False
    for operator in ("==", "!="):
        left, found, right = value.partition(operator)
        if found and left.strip() and right.strip():
            return True
    return False


def runtime_problem(backend: str, runtime: str) -> str | None:
    """Podman has no Swarm: the one engine-backend pair refused at load time."""
    if backend == "swarm" and runtime != "docker":
        return (
            f"backend: swarm needs runtime: docker ({runtime} has no Swarm); "
            "use backend: ssh with podman, or runtime: docker"
        )
    return None
