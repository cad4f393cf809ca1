"""A Compose project's Caddyfile, as Caddy's own adapter reads it (`caddy adapt`: JSON), to the
routes dockyard's proxy serves: each site's hosts, and the service and port its
`reverse_proxy` dials, with the path prefix of a `handle_path` or `handle` around it.

    routes, reports = caddy_routes(adapted, services={"app", "api"}, path="services.caddy")

Pure. What a route does besides proxying to one service (`encode`, `header`, `file_server`,
several upstreams, a matcher other than host and path) is a Report, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.config.compose_reports import Report

CADDYFILE = "/etc/caddy/Caddyfile"


@dataclass(frozen=True)
class CaddyRoute:
    hosts: tuple[str, ...]
    service: str
    port: int
    path_prefix: str | None = None
    strip_prefix: bool = False


def caddy_routes(
    adapted: Mapping[str, Any], *, services: set[str], path: str
) -> tuple[list[CaddyRoute], list[Report]]:
    routes: list[CaddyRoute] = []
    reports: list[Report] = []
    servers = ((adapted.get("apps") or {}).get("http") or {}).get("servers") or {}
    for server_name, server in servers.items():
        for i, route in enumerate(server.get("routes") or []):
            hosts = tuple(h for m in route.get("match") or [] for h in m.get("host") or [])
            site = ", ".join(hosts) if hosts else f"site {i + 1} of {server_name}"
            where = f"{path}.Caddyfile: {site}"
            if not hosts:
                reports.append(Report(where, "a site without a host name is not served"))
                continue
            for found in _proxied(route.get("handle") or [], None, False, where, reports):
                prefix, strip, dial = found
                service, _, port = dial.rpartition(":")
                if service not in services or not port.isdigit():
                    reports.append(Report(where, f"reverse_proxy {dial}: not a service of the "
                                          "project at host:port"))  # fmt: skip
                    continue
                routes.append(CaddyRoute(hosts, service, int(port), prefix, strip))
    return routes, reports


def _proxied(
    handlers: list[Any], prefix: str | None, strip: bool, where: str, reports: list[Report]
) -> Iterator[tuple[str | None, bool, str]]:
    """(path prefix, strip it?, the one upstream) of each reverse_proxy under these handlers."""
    for handler in handlers:
        kind = handler.get("handler")
        if kind == "subroute":
            yield from _subroute(handler.get("routes") or [], prefix, strip, where, reports)
        elif kind == "reverse_proxy":
            upstreams = [u.get("dial", "") for u in handler.get("upstreams") or []]
            if len(upstreams) != 1:
                reports.append(Report(where, "reverse_proxy to several upstreams: dockyard's "
                                      "proxy balances one service's slots"))  # fmt: skip
            if upstreams:
                yield prefix, strip, upstreams[0]
        else:
            reports.append(Report(where, f"handler {kind!r} is not carried over: dockyard's "
                                  "proxy routes only"))  # fmt: skip


def _subroute(
    routes: list[Any], prefix: str | None, strip: bool, where: str, reports: list[Report]
) -> Iterator[tuple[str | None, bool, str]]:
    """A `handle_path` is a rewrite that strips the prefix, then the routes after it."""
    for route in routes:
        handle = route.get("handle") or []
        if [h.get("handler") for h in handle] == ["rewrite"] and handle[0].get(
            "strip_path_prefix"
        ) == prefix:
            strip = True
            continue
        inner, ok = _path_prefix(route.get("match"), prefix, where, reports)
        if ok:
            yield from _proxied(handle, inner, strip, where, reports)


def _path_prefix(
    matchers: Any, prefix: str | None, where: str, reports: list[Report]
) -> tuple[str | None, bool]:
    """The path prefix of a route's matchers (`/v1/*` -> `/v1`); False when not a prefix."""
    if not matchers:
        return prefix, True
    paths = [p for m in matchers for p in m.get("path") or []]
    others = [k for m in matchers for k in m if k != "path"]
    if others or len(paths) != 1 or not paths[0].endswith("/*"):
        reports.append(Report(where, f"a matcher other than one path prefix ({matchers}) is not "
                              "carried over"))  # fmt: skip
        return prefix, False
    return paths[0][:-2] or None, True


def route_proxies(
    routes: list[CaddyRoute], path: str, reports: list[Report]
) -> dict[str, dict[str, Any]]:
    """Kamal's proxy entry per service: its routes' hosts, port and path prefixes; a service
    routed at two ports keeps the first."""
    proxies: dict[str, dict[str, Any]] = {}
    for route in routes:
        entry = proxies.setdefault(route.service, {"hosts": [], "app_port": route.port})
        if route.port != entry["app_port"]:
            first = entry["app_port"]
            reports.append(Report(path, f"{route.service} is routed at port {route.port} and "
                                  f"{first}: the proxy serves {first}"))  # fmt: skip
            continue
        entry["hosts"] += [h for h in route.hosts if h not in entry["hosts"]]
        if route.path_prefix:
            entry.setdefault("path_prefixes", []).append(route.path_prefix)
            entry["strip_path_prefix"] = route.strip_prefix
    return proxies
