"""The Caddy configuration, derived from per-app route state (pure).

Each app's route lives in a small JSON file on the server (`AppRoute.to_json`); the whole Caddy
config is always derived from all of them by `caddy_config()`, so a proxy reboot or another
workstation rebuilds exactly the same config.

A deploy does not change that config. Each route has two upstream slots, `<name>--a` and
`<name>--b`: network aliases the engine's DNS resolves to the container that holds them. A file
per route in the live directory says which slot serves (`<name>.b` there: slot b, else slot a),
and Caddy's `file` matcher reads it on every request. Switching versions is creating or removing
that file: no config reload, so no connection Caddy has accepted is ever closed by a switch (a
reload closes the accepted-but-unread ones: bench/caddy_reload.py), and requests already on
their way to the old slot finish there.

The probe server, on a unix socket in the mounted directory (reached from the server like the
admin socket, from no network), dials whatever upstream a request names in its Host header, as
the routes do: a new version is checked through it, by the slot alias the route will dial, so
the switch waits until the proxy itself reaches the new container by that name.

Every upstream also counts its failed attempts for FAIL_WINDOW (a passive health check that
never marks it down): a request waiting to retry a failed dial is in no in-flight count between
its attempts, so the drain of an old version watches both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

ADMIN_DIR = "/dockyard"  # mounted from the server's ~/.dockyard/proxy into the proxy container
ADMIN_SOCKET = f"{ADMIN_DIR}/admin.sock"  # 0666: ~/.dockyard (0700) is the real guard
PROBE_SOCKET = f"{ADMIN_DIR}/probe.sock"  # the same
DIAL_TIMEOUT = "1s"
TRY_SECONDS = 5  # how long a failed dial to the app is tried again
TRY_DURATION = f"{TRY_SECONDS}s"
TRY_INTERVAL = "250ms"
# Seconds a failed attempt stays counted: well over TRY_INTERVAL, the gap between two attempts
FAIL_WINDOW = 2
NEVER_DOWN = 1_000_000_000  # max_fails: the count is watched, never used to take an upstream out
HTTP_SERVER = "http"
HTTPS_SERVER = "https"
PROBE_SERVER = "probe"
LIVE_DIR = f"{ADMIN_DIR}/live"  # which slot serves each route, as Caddy sees it
# Names the route a load balancer edge's health check is for (commands/edge_config.py)
EDGE_CHECK_HEADER = "X-Dockyard-Edge-Check"
DRAINED_ANSWER = "drained from the load balancer"  # a drained route's answer to those checks


def other_slot(slot: str) -> str:
    return "b" if slot == "a" else "a"


def live_flag(route_name: str) -> str:
    """The file in the live directory whose presence means slot b serves this route."""
    return f"{route_name}.b"


def drained_flag(route_name: str) -> str:
    """The file in the live directory whose presence takes this host out of the load
    balancer edges' rotation for this route (the edges' health checks get 503)."""
    return f"{route_name}.drained"


def slot_alias(route_name: str, slot: str) -> str:
    """The network alias of the container in this slot of this route."""
    return f"{route_name}--{slot}"


@dataclass(frozen=True)
class Maintenance:
    status: int = 503
    body: str = "Service temporarily unavailable"
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class AppRoute:
    """What the proxy must do for one proxied role of one app."""

    name: str  # the proxy service name: <service>-<role>[-<destination>], unique per proxy
    port: int = 80  # the app's port in its containers
    # Fixed dial addresses instead of the two slots: what route files written before slots
    # hold (their containers have no slot alias); a deploy replaces them with slots.
    upstreams: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()
    strip_path_prefix: bool = True
    ssl: bool = False
    ssl_redirect: bool = True
    certificate: tuple[str, str] | None = None  # (cert, key) paths inside the proxy container
    response_timeout: int = 30
    max_request_body: int = 0  # bytes; 0 means no limit
    buffer_requests: bool = True
    buffer_responses: bool = True
    log_requests: bool = True
    forward_headers: bool = False  # pass the client's X-Forwarded-* on (behind a load balancer)
    drain_timeout: int = 30
    maintenance: Maintenance | None = None
    # The load balancer edges in front of this proxy (IP addresses or CIDR ranges): trusted to
    # pass the client's X-Forwarded-*, and answered 503 to their health checks while the route
    # is drained on this host (`drained_flag`)
    edges: tuple[str, ...] = ()
    # The app whose config made the route (<service>[-<destination>]), named when another app
    # would take its hosts; "" in route files written before it was recorded.
    app: str = ""

    def with_upstreams(self, upstreams: Sequence[str]) -> AppRoute:
        return replace(self, upstreams=tuple(upstreams))

    def slot_upstream(self, slot: str) -> str:
        return f"{slot_alias(self.name, slot)}:{self.port}"

    def to_json(self) -> str:
        data = asdict(self)
        if not self.edges:  # the file as a dockyard before edges wrote it, and reads it
            del data["edges"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AppRoute:
        data: dict[str, Any] = json.loads(text)
        for key in ("upstreams", "hosts", "path_prefixes", "edges"):
            data[key] = tuple(data.get(key, ()))
        if data.get("certificate"):
            data["certificate"] = tuple(data["certificate"])
        if data.get("maintenance"):
            data["maintenance"] = Maintenance(**data["maintenance"])
        return cls(**data)


@dataclass(frozen=True)
class ProxySettings:
    """Proxy-wide settings (one Caddy per server, shared by every app on it)."""

    http_port: int = 80
    https_port: int = 443
    tls_issuer: str = "acme"  # "acme" (Let's Encrypt and ZeroSSL) or "internal" (Caddy's own CA)
    acme_email: str | None = None
    stream_close_delay: int = 60  # seconds a reload leaves WebSockets open before closing them
    listen_host: str = ""  # all addresses
    admin_socket: str = ADMIN_SOCKET
    probe_socket: str = PROBE_SOCKET


def caddy_config(routes: Iterable[AppRoute], settings: ProxySettings = ProxySettings()) -> Any:
    """The whole Caddy JSON config for these routes."""
    ordered = sorted(routes, key=_route_order)
    tls_routes = [r for r in ordered if r.ssl]
    plain = [r for r in ordered if not r.ssl or not r.ssl_redirect]
    http = _server(
        [f"{settings.listen_host}:{settings.http_port}"], plain, settings, catch_all=not tls_routes
    )
    servers: dict[str, Any] = {HTTP_SERVER: http, PROBE_SERVER: _probe_server(settings)}
    if tls_routes:
        servers[HTTPS_SERVER] = _server(
            [f"{settings.listen_host}:{settings.https_port}"], tls_routes, settings, catch_all=True
        )
    drain = max((r.drain_timeout for r in ordered), default=30)
    http_app: dict[str, Any] = {
        "http_port": settings.http_port,
        "https_port": settings.https_port,
        "grace_period": f"{drain + 5}s",
        "servers": servers,
    }
    config: dict[str, Any] = {
        "admin": {"listen": f"unix/{settings.admin_socket}|0666", "config": {"persist": False}},
        "apps": {"http": http_app},
    }
    if tls_routes:
        config["apps"]["tls"] = _tls_app(tls_routes, settings)
    return config


def _route_order(route: AppRoute) -> tuple[int, int, str]:
    # Host routes before host-less ones, longer path prefixes first, then by name (stable).
    longest = max((len(p) for p in route.path_prefixes), default=0)
    return (0 if route.hosts else 1, -longest, route.name)


def _server(
    listen: list[str], routes: list[AppRoute], settings: ProxySettings, *, catch_all: bool
) -> dict[str, Any]:
    server: dict[str, Any] = {"listen": listen, "routes": [_route(r, settings) for r in routes]}
    if catch_all:
        server["routes"].append(
            {"handle": [_static(404, "No app is deployed at this address\n")], "terminal": True}
        )
    skip_logs = sorted({h for r in routes if not r.log_requests for h in r.hosts})
    server["logs"] = {"skip_hosts": skip_logs} if skip_logs else {}
    trusted = _trusted_ranges(routes)
    if trusted:
        # Caddy keeps a client's X-Forwarded-* only from trusted peers; routes without
        # forward_headers or edges overwrite them again in their reverse_proxy (_reverse_proxy)
        server["trusted_proxies"] = {"source": "static", "ranges": trusted}
    certified = sorted({h for r in routes if r.certificate for h in r.hosts})
    if certified:
        server["automatic_https"] = {"skip_certificates": certified}
    edges = sorted({edge for r in routes for edge in r.edges})
    if edges:
        server["errors"] = {"routes": [_cut_for_edges(edges)]}
    return server


def _cut_for_edges(edges: list[str]) -> dict[str, Any]:
    """An edge's request this proxy could not pass to the app (a 502: the app's container died
    under it, as when the server's engine stops) is cut instead of answered: the edge then
    sees a failed round trip, which it retries on another web host for GET, HEAD and OPTIONS
    (a 502 answer it would pass on to the client). Other methods still fail, with the edge's
    502."""
    failed = {"remote_ip": {"ranges": edges}, "expression": "{http.error.status_code} == 502"}
    return {"match": [failed], "handle": [{"handler": "static_response", "abort": True}]}


def _trusted_ranges(routes: list[AppRoute]) -> list[str]:
    if any(r.forward_headers for r in routes):
        return ["0.0.0.0/0", "::/0"]
    return sorted({edge for r in routes for edge in r.edges})


def _probe_server(settings: ProxySettings) -> dict[str, Any]:
    """GET <path> with `Host: <upstream>` answers what that upstream answers, dialed from the
    proxy (its network, its resolver) once, without retries; a failed dial is a 502 whose body
    says why (`proxy to demo-web--a:80: dial tcp: lookup demo-web--a ...: no such host`)."""
    dial_any = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": "{http.request.hostport}"}],
        "transport": {"protocol": "http", "dial_timeout": DIAL_TIMEOUT},
    }
    why = _static(
        "{http.error.status_code}", "proxy to {http.request.hostport}: {http.error.message}\n"
    )
    return {
        "listen": [f"unix/{settings.probe_socket}|0666"],
        "routes": [{"handle": [dial_any]}],
        "errors": {"routes": [{"handle": [why]}]},
    }


def _route(route: AppRoute, settings: ProxySettings) -> dict[str, Any]:
    match: dict[str, Any] = {}
    if route.hosts:
        match["host"] = list(route.hosts)
    if route.path_prefixes:
        match["path"] = [p.rstrip("/") + "*" for p in route.path_prefixes]
    handlers: list[dict[str, Any]] = []
    if route.maintenance:
        m = route.maintenance
        handlers.append(_static(m.status, m.body, m.content_type))
    else:
        if route.edges:
            handlers.append(_drained_check(route.name))
        if route.max_request_body:
            handlers.append({"handler": "request_body", "max_size": route.max_request_body})
        if route.path_prefixes and route.strip_path_prefix:
            handlers.extend(_strip_prefix(route.path_prefixes))
        handlers.append(_upstreams(route, settings))
    entry: dict[str, Any] = {"@id": f"dockyard-{route.name}", "handle": handlers, "terminal": True}
    if match:
        entry["match"] = [match]
    return entry


def _drained_check(route_name: str) -> dict[str, Any]:
    """While the route is drained on this host, the edges' health checks for it get 503 (and
    only they: a client's request never carries the header, the edges delete it)."""
    drained = {
        "header": {EDGE_CHECK_HEADER: [route_name]},
        "file": {"root": LIVE_DIR, "try_files": [drained_flag(route_name)]},
    }
    answer = _static(503, f"{DRAINED_ANSWER}\n")
    return {"handler": "subroute", "routes": [{"match": [drained], "handle": [answer]}]}


def _strip_prefix(prefixes: tuple[str, ...]) -> list[dict[str, Any]]:
    # One subroute per prefix so each request strips exactly the prefix it came in on.
    cases = [
        {
            "match": [{"path": [p.rstrip("/") + "*"]}],
            "handle": [{"handler": "rewrite", "strip_path_prefix": p.rstrip("/")}],
        }
        for p in prefixes
    ]
    return [{"handler": "subroute", "routes": cases}]


def _upstreams(route: AppRoute, settings: ProxySettings) -> dict[str, Any]:
    """The live slot's reverse proxy, chosen per request by the live file (see the top)."""
    if route.upstreams:
        return _reverse_proxy(route, settings, route.upstreams)
    live_b = {"file": {"root": LIVE_DIR, "try_files": [live_flag(route.name)]}}
    slot_b = _reverse_proxy(route, settings, [route.slot_upstream("b")])
    slot_a = _reverse_proxy(route, settings, [route.slot_upstream("a")])
    return {
        "handler": "subroute",
        "routes": [{"match": [live_b], "handle": [slot_b], "terminal": True}, {"handle": [slot_a]}],
    }


def _reverse_proxy(
    route: AppRoute, settings: ProxySettings, upstreams: Sequence[str]
) -> dict[str, Any]:
    handler: dict[str, Any] = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": u} for u in upstreams],
        "transport": {
            "protocol": "http",
            "dial_timeout": DIAL_TIMEOUT,
            "response_header_timeout": f"{route.response_timeout}s",
        },
        # A dial that fails (the engine's DNS losing a query while it reloads, a container
        # restarting) is retried: nothing reached the app, so any method is safe to retry.
        "load_balancing": {"try_duration": TRY_DURATION, "try_interval": TRY_INTERVAL},
        "health_checks": {"passive": {"fail_duration": f"{FAIL_WINDOW}s", "max_fails": NEVER_DOWN}},
        "stream_close_delay": f"{settings.stream_close_delay}s",
    }
    # What this proxy saw, whatever the client claimed; behind edges, Caddy's default: what a
    # trusted edge says (it saw the client), else what this proxy saw
    if not route.forward_headers and not route.edges:
        handler["headers"] = {"request": {"set": {
            "X-Forwarded-For": ["{http.request.remote.host}"],
            "X-Forwarded-Proto": ["{http.request.scheme}"],
            "X-Forwarded-Host": ["{http.request.host}"],
        }}}  # fmt: skip
    if not route.buffer_responses:
        handler["flush_interval"] = -1
    if route.buffer_requests and route.max_request_body:
        handler["request_buffers"] = route.max_request_body
    return handler


def _static(status: int | str, body: str, content_type: str = "text/plain; charset=utf-8") -> Any:
    return {
        "handler": "static_response",
        "status_code": status,
        "body": body,
        "headers": {"Content-Type": [content_type]},
    }


def _tls_app(routes: list[AppRoute], settings: ProxySettings) -> dict[str, Any]:
    tls: dict[str, Any] = {}
    files = [
        {"certificate": r.certificate[0], "key": r.certificate[1], "tags": [f"dockyard-{r.name}"]}
        for r in routes
        if r.certificate
    ]
    if files:
        tls["certificates"] = {"load_files": files}
    managed = sorted({h for r in routes if not r.certificate for h in r.hosts})
    if managed:
        issuer: dict[str, Any] = {"module": settings.tls_issuer}
        if settings.tls_issuer == "acme" and settings.acme_email:
            issuer["email"] = settings.acme_email
        tls["automation"] = {"policies": [{"subjects": managed, "issuers": [issuer]}]}
    return tls
