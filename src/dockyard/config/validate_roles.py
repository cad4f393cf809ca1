"""Roles and accessories, checked in Kamal's order: the section's own keys first (nested maps only
by shape), then its rules, then env, logging/proxy and registry in the order Kamal builds them."""

from __future__ import annotations

import re
from typing import Any

from dockyard.config.merge import deep_merge_values
from dockyard.config.validate_special import hosts, proxy_rules
from dockyard.config.validator import MAP, Validator
from dockyard.config.yamlsource import Path

ROLE_LATER = ("env", "logging", "proxy")
ACCESSORY_LATER = ("env", "proxy", "registry")
ACCESSORY_HOST_KEYS = ("host", "hosts", "role", "roles", "tag", "tags")
RESERVED_LABELS = ("service", "role", "destination")
RESTART_POLICY = re.compile(r"\A(?:no|always|unless-stopped|on-failure(?::\d+)?)\Z")


def roles(v: Validator, value: Any, path: Path) -> None:
    if isinstance(value, list):
        hosts(v, value, path)
        return
    v.expect(isinstance(value, dict), path, "a list of hosts or a map of roles", value)
    for name in sorted(value, key=str):  # Kamal checks roles in name order
        role, where = value[name], (*path, name)
        if isinstance(role, list):
            hosts(v, role, where)
            continue
        v.expect(isinstance(role, dict), where, "a list of hosts or a map of role settings", role)
        v.section(role, "role", where, later=ROLE_LATER)
        labels(v, role.get("labels"), where)
        restart_option(v, role.get("options"), where)
        v.deep(role, "role", where, ROLE_LATER)
        if isinstance(role.get("proxy"), dict):
            # Kamal checks the role's own proxy map, then the root map merged under it.
            root_proxy = v.root.get("proxy") if isinstance(v.root.get("proxy"), dict) else {}
            proxy_rules(v, role["proxy"], (*where, "proxy"))
            proxy_rules(v, deep_merge_values(root_proxy, role["proxy"]), ("proxy",))


def labels(v: Validator, value: Any, path: Path) -> None:
    for name in value or {}:
        if name in RESERVED_LABELS:
            v.fail((*path, "labels", name), "is reserved (service, role and destination are set "
                   "by dockyard); use another label name")  # fmt: skip


def restart_option(v: Validator, options: Any, path: Path) -> None:
    if not isinstance(options, dict) or "restart" not in options:
        return
    policy = options["restart"]
    if not isinstance(policy, str) or not RESTART_POLICY.match(policy):
        v.fail((*path, "options", "restart"),
               'should be "no", always, unless-stopped, on-failure or on-failure:N')  # fmt: skip


def accessories(v: Validator, value: Any, path: Path) -> None:
    v.expect(isinstance(value, dict), path, MAP, value)
    for name, accessory in value.items():
        where = (*path, name)
        v.section(accessory, "accessory", where, later=ACCESSORY_LATER)
        if sum(key in accessory for key in ACCESSORY_HOST_KEYS) != 1:
            v.fail(where, "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`")
        labels(v, accessory.get("labels"), where)
        restart_option(v, accessory.get("options"), where)
        accessory_roles(v, accessory, where)
        v.deep(accessory, "accessory", where, ACCESSORY_LATER)


def accessory_roles(v: Validator, accessory: dict[Any, Any], where: Path) -> None:
    """An accessory placed by role must name roles that exist (an unknown tag selects none)."""
    servers = v.root.get("servers")
    known = {str(name) for name in servers} if isinstance(servers, dict) else {"web"}
    wanted = accessory.get("roles", [accessory["role"]] if "role" in accessory else [])
    unknown = [str(role) for role in wanted if str(role) not in known]
    if unknown:
        v.fail(where, f"unknown role{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
