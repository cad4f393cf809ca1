"""`depends_on` of a Compose project against the order dockyard boots in: `setup` boots the
accessories before the app, and a deploy boots the primary role first (the other roles wait
until it is healthy). What that order does not give is a Report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.config.compose_reports import Report

WAITS = ("service_started", "service_healthy")


def depends_on_reports(
    services: Mapping[str, Any], roles: set[str], accessories: set[str], primary: str
) -> list[Report]:
    reports = []
    for name in sorted(services):
        for target, spec in (services[name].get("depends_on") or {}).items():
            path = f"services.{name}.depends_on.{target}"
            reason = _unmet(name, target, spec.get("condition", "service_started"),
                            roles, accessories, primary)  # fmt: skip
            if reason:
                reports.append(Report(path, reason))
    return reports


def _unmet(
    name: str, target: str, condition: str, roles: set[str], accessories: set[str], primary: str
) -> str | None:
    if target in accessories:
        if name in accessories:
            return "accessories boot in the order of their names, not by depends_on"
        if condition != "service_started":
            return (f"{condition}: `setup` boots the accessory before the app but does not wait "
                    "for its health check")  # fmt: skip
        return None
    if target not in roles:
        return None  # a service dockyard does not run (a Caddy service): reported there
    if target == primary and name in roles and condition in WAITS:
        return None  # the other roles wait until the primary role's new container is healthy
    if target == primary and name in roles:
        return f"{condition}: the other roles wait until {primary} is healthy, not for this"
    return f"{condition}: only the primary role ({primary}) boots before the others"
