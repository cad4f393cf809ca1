"""The Caddy configuration of a load balancer edge (pure).

An edge (`x-dockyard: load_balancer:`) runs dockyard's Caddy in front of the app's web hosts and
passes each request to one of the web hosts' proxies:

- active health checks every HEALTH_INTERVAL through each web host's proxy, to the app's health
  path with the app's Host; one failure takes a host out (FAILS), two passes bring it back;
- passive health: a failed dial or a 502 (the web host's proxy reached no app) takes a host out
  for FAIL_WINDOW; an app's own 503 or 504 does not (maintenance mode, a slow page);
- a request no host has answered is tried on another host for `try_duration`: always after a
  failed dial (nothing reached the app), and for the idempotent methods without a body
  (RETRIED_METHODS) also after the host failed them, cut included: a web host's proxy cuts an
  edge's request whose app died under it (no 502 answer, which the edge would pass on), after
  its own few seconds of dials to the app, which the edge's try_duration adds;
- the client's address in X-Forwarded-For (Caddy's default: the edge trusts no one before it;
  the web hosts' proxies trust the edges, see caddy_config's `edges`);
- responses flushed as they come (streams, server-sent events, slow responses); WebSockets pass;
- TLS terminated at the edge for a site with a custom certificate (proxy/ssl's certificate_pem
  and private_key_pem): the same PEM bundle on every edge (`certificate_file`), loaded from a
  file whose digest is a tag in the config, so a new certificate is a changed config; plain
  HTTP is redirected to HTTPS (Caddy's automatic redirects) unless ssl_redirect is false;
- TLS with a certificate by ACME for a site with proxy/ssl: true: the first edge orders, the
  other serves a copy and renews on its own; each passes challenges it cannot answer to the
  other (commands/edge_acme.py).

Draining a web host changes no config, neither on the edge nor on the web host: a flag file on
the web host (`<route>.drained` in its proxy's live directory) makes its proxy answer the edges'
health checks, and only them, with 503, so every edge takes the host out within a check or two,
and requests in flight there finish. Undraining removes the file. Only a change of the pool
itself (a web host added to or removed from the config) loads a new config on the edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dockyard.commands import edge_acme, edge_pool
from dockyard.commands.caddy_config import ADMIN_DIR, EDGE_CHECK_HEADER, TRY_SECONDS
from dockyard.commands.edge_acme import EdgeAcme

HEALTH_INTERVAL = "500ms"
HEALTH_TIMEOUT = "1s"
PASSES = 2
FAILS = 1
FAIL_WINDOW = "2s"
DIAL_TIMEOUT = "1s"
TRY_INTERVAL = "100ms"
RETRIED_METHODS = ("GET", "HEAD", "OPTIONS")
UNHEALTHY_STATUS = (502,)  # the web host's proxy reached no app there
TASKS_REFRESH = "1s"  # how often the edge looks up a swarm service's tasks again
EDGE_ADMIN_SOCKET = f"{ADMIN_DIR}/admin.sock"
EDGE_PROBE_SOCKET = f"{ADMIN_DIR}/probe.sock"  # 0666, as the admin socket: ~/.dockyard guards it
EDGE_SERVER = "edge"
EDGE_TLS_SERVER = "edge-tls"
EDGE_PROBE_SERVER = "probe"
HEALTH_LOGGER = "http.handlers.reverse_proxy.health_checker.active"


def certificate_file(site: str) -> str:
    """A site's certificate and key (one PEM bundle) in the edge's state dir, as Caddy sees it."""
    return f"{ADMIN_DIR}/certs/{site}.pem"


@dataclass(frozen=True)
class EdgeSite:
    """One proxied role of the app, as every edge serves it."""

    name: str  # the route name on the web hosts' proxies (<service>-<role>[-<destination>])
    upstreams: tuple[str, ...]  # the web hosts' proxies, host:port
    hosts: tuple[str, ...] = ()  # the app's proxy hosts; none: every request
    path_prefixes: tuple[str, ...] = ()
    health_uri: str = "/up"  # as the web hosts' proxies route it to the app's health path
    response_timeout: int = 30
    try_duration: int = 5
    # The custom certificate's sha256 (hex) when the edge terminates TLS for the site with it
    # (the bundle itself is at certificate_file(name)); "": plain HTTP
    certificate: str = ""
    ssl_redirect: bool = True
    acme: bool = False  # HTTPS with a certificate by ACME (proxy/ssl: true), see EdgeSettings
    # With backend: swarm, no fixed upstreams: the A records of this name (a service's
    # tasks.<stack>_<role> on the overlay network) on this port, looked up every TASKS_REFRESH.
    # The edge checks these passively only (a failed dial or a 502 takes a task out for 2 s).
    tasks: tuple[str, int] | None = None


@dataclass(frozen=True)
class EdgeSettings:
    http_port: int = 80
    https_port: int = 443
    stream_close_delay: int = 60  # seconds a (pool change) reload leaves WebSockets open
    drain_timeout: int = 30
    admin_socket: str = EDGE_ADMIN_SOCKET
    probe_socket: str = EDGE_PROBE_SOCKET
    acme: EdgeAcme | None = None  # how this edge gets its ACME sites' certificates, if any


def edge_config(sites: Iterable[EdgeSite], settings: EdgeSettings = EdgeSettings()) -> Any:
    """The whole Caddy JSON config of an edge serving these sites."""
    ordered = sorted(sites, key=lambda s: (0 if s.hosts else 1, s.name))
    acme = settings.acme if any(s.acme for s in ordered) else None
    # a forwarder serves its ACME sites nowhere until it holds their certificates
    served = [s for s in ordered if not s.acme or edge_acme.serves_acme(acme)]
    tls_sites = [s for s in served if s.certificate or s.acme]
    plain = [s for s in served if not (s.certificate or s.acme) or not s.ssl_redirect]
    # Without a catch-all on the plain server, Caddy's automatic redirects to HTTPS follow
    servers = {EDGE_SERVER: _server(settings.http_port, plain, settings, not tls_sites, "")}
    checked = [s for s in ordered if s.tasks is None]
    if checked:
        servers[EDGE_PROBE_SERVER] = _probe_server(checked, settings)
    if acme is not None:
        names = _acme_names(ordered)
        servers[EDGE_SERVER]["routes"][:0] = edge_acme.challenge_routes(acme, names)
        if acme.peer:  # the other edge's mover takes renewals from here
            servers[EDGE_SERVER]["routes"].insert(0, edge_acme.certificates_route())
    if tls_sites:
        tls_server = _server(settings.https_port, tls_sites, settings, True, "-tls")
        tls_server["automatic_https"] = {
            "skip_certificates": sorted({h for s in tls_sites if s.certificate for h in s.hosts})
        }
        servers[EDGE_TLS_SERVER] = tls_server
    config: dict[str, Any] = {
        "admin": {"listen": f"unix/{settings.admin_socket}|0666", "config": {"persist": False}},
        "logging": _logging(),
        "apps": {
            "http": {
                "http_port": settings.http_port,
                "https_port": settings.https_port,
                "grace_period": f"{settings.drain_timeout + 5}s",
                "servers": servers,
            }
        },
    }
    tls = _tls_app(ordered, acme)
    if tls:
        config["apps"]["tls"] = tls
    if acme is not None:
        config["storage"] = edge_acme.storage()
    return config


def _logging() -> dict[str, Any]:
    """The active health checks log apart, in HEALTH_LOG (a free slot fails twice a second):
    the container's log keeps the rest, and dockyard reads there which slots are up."""
    return {
        "logs": {
            "default": {"exclude": [HEALTH_LOGGER]},
            "health": {
                "writer": {
                    "output": "file",
                    "filename": f"{ADMIN_DIR}/{edge_pool.HEALTH_LOG.rsplit('/', 1)[1]}",
                    "roll_size_mb": 1,
                    "roll_keep": 1,
                    "mode": "0644",
                },
                "encoder": {"format": "json"},
                "include": [HEALTH_LOGGER],
            },
        }
    }


def _tls_app(sites: list[EdgeSite], acme: EdgeAcme | None) -> dict[str, Any]:
    tls: dict[str, Any] = {}
    custom = [s for s in sites if s.certificate]
    if custom:
        tls["certificates"] = {"load_files": [_loaded(s) for s in custom]}
    if acme is not None:
        tls["automation"] = edge_acme.automation(acme, _acme_names(sites))
    return tls


def _acme_names(sites: list[EdgeSite]) -> list[str]:
    return sorted({h for s in sites if s.acme for h in s.hosts})


def _server(
    port: int, sites: list[EdgeSite], settings: EdgeSettings, catch_all: bool, id_suffix: str
) -> dict[str, Any]:
    # a site on both servers (ssl_redirect: false) has a route on each: the ids must differ
    routes = [_site_route(site, settings, id_suffix) for site in sites]
    if catch_all:
        routes.append({"handle": [_static(404, "No app is served at this address\n")]})
    return {"listen": [f":{port}"], "routes": routes, "logs": {}}


def probe_path(site: EdgeSite) -> str:
    """The path on the edge's probe socket that checks one web host for the site, with the
    web host's address (an upstream) as the request's Host."""
    return f"/{site.name}{site.health_uri}"


def _probe_server(sites: list[EdgeSite], settings: EdgeSettings) -> dict[str, Any]:
    """What the edge's active check of a site sees of one web host, now, on demand: Caddy does
    not tell its checks' verdict (`lb details` asks this). `GET probe_path(site)` with `Host:
    <upstream>` is sent there once, as the check sends it (the site's Host, the check header,
    HEALTH_TIMEOUT), from the edge's own network; a failed dial is a 502 saying why."""
    routes = []
    for site in sites:
        headers: dict[str, list[str]] = {EDGE_CHECK_HEADER: [site.name]}
        if site.hosts:
            headers["Host"] = [site.hosts[0].removeprefix("*.")]
        check = {
            "handler": "reverse_proxy",
            "upstreams": [{"dial": "{http.request.hostport}"}],
            "transport": {"protocol": "http", "dial_timeout": HEALTH_TIMEOUT,
                          "response_header_timeout": HEALTH_TIMEOUT},
            "headers": {"request": {"set": headers}},
        }  # fmt: skip
        strip = {"handler": "rewrite", "strip_path_prefix": f"/{site.name}"}
        routes.append({"match": [{"path": [f"/{site.name}/*"]}], "handle": [strip, check]})
    why = _static("{http.error.status_code}", "{http.error.message}\n")
    return {
        "listen": [f"unix/{settings.probe_socket}|0666"],
        "routes": routes,
        "errors": {"routes": [{"handle": [why]}]},
    }


def _loaded(site: EdgeSite) -> dict[str, Any]:
    path = certificate_file(site.name)
    # the digest: a new certificate in the same file is a changed config, loaded again
    return {
        "certificate": path,
        "key": path,
        "tags": [f"dockyard-edge-{site.name}", f"sha256-{site.certificate}"],
    }


def _site_route(site: EdgeSite, settings: EdgeSettings, id_suffix: str) -> dict[str, Any]:
    match: dict[str, Any] = {}
    if site.hosts:
        match["host"] = list(site.hosts)
    if site.path_prefixes:
        match["path"] = [p.rstrip("/") + "*" for p in site.path_prefixes]
    route: dict[str, Any] = {
        "@id": f"dockyard-edge-{site.name}{id_suffix}",
        "handle": [_balancer(site, settings)],
        "terminal": True,
    }
    if match:
        route["match"] = [match]
    return route


def _balancer(site: EdgeSite, settings: EdgeSettings) -> dict[str, Any]:
    return {
        "handler": "reverse_proxy",
        **_upstreams(site),
        "transport": {
            "protocol": "http",
            "dial_timeout": DIAL_TIMEOUT,
            "response_header_timeout": f"{site.response_timeout}s",
        },
        "load_balancing": {
            "selection_policy": {"policy": "least_conn"},
            "try_duration": f"{_try_seconds(site)}s",
            "try_interval": TRY_INTERVAL,
            "retry_match": [{"method": list(RETRIED_METHODS)}],
        },
        "health_checks": _health_checks(site),
        # A client cannot pose as an edge's health check (see the top: draining)
        "headers": {"request": {"delete": [EDGE_CHECK_HEADER]}},
        "flush_interval": -1,
        "stream_close_delay": f"{settings.stream_close_delay}s",
    }


def _try_seconds(site: EdgeSite) -> int:
    """Caddy counts try_duration from the request's start; a web host's proxy holds a request
    whose app died for its own TRY_SECONDS of dials before it gives it back (cut, see
    caddy_config's _cut_for_edges), so the edge's time to try other hosts starts after that.
    A swarm task is dialed directly: no proxy holds the request."""
    return site.try_duration + (TRY_SECONDS if site.tasks is None else 0)


def _upstreams(site: EdgeSite) -> dict[str, Any]:
    if site.tasks is None and edge_pool.pooled(site.upstreams):  # slots (commands/edge_pool)
        web_port = site.upstreams[0].rsplit(":", 1)[1]
        slots = range(edge_pool.slot_count(len(site.upstreams)))
        return {
            "upstreams": [
                {"dial": f"{edge_pool.slot_name(site.name, k)}:{web_port}"} for k in slots
            ]
        }
    if site.tasks is None:
        return {"upstreams": [{"dial": upstream} for upstream in site.upstreams]}
    name, port = site.tasks
    lookup = {"source": "a", "name": name, "port": str(port), "refresh": TASKS_REFRESH}
    return {"dynamic_upstreams": lookup}


def _health_checks(site: EdgeSite) -> dict[str, Any]:
    if site.tasks is not None:  # Swarm puts a task in DNS once healthy; dials are retried
        return {"passive": _passive_check()}
    return {"active": _active_check(site), "passive": _passive_check()}


def _active_check(site: EdgeSite) -> dict[str, Any]:
    headers = {EDGE_CHECK_HEADER: [site.name]}
    if site.hosts:
        headers["Host"] = [site.hosts[0].removeprefix("*.")]
    return {
        "uri": site.health_uri,
        "headers": headers,
        "interval": HEALTH_INTERVAL,
        "timeout": HEALTH_TIMEOUT,
        "passes": PASSES,
        "fails": FAILS,
    }


def _passive_check() -> dict[str, Any]:
    return {
        "fail_duration": FAIL_WINDOW,
        "max_fails": 1,
        "unhealthy_status": list(UNHEALTHY_STATUS),
    }


def _static(status: int | str, body: str) -> dict[str, Any]:
    return {
        "handler": "static_response",
        "status_code": status,
        "body": body,
        "headers": {"Content-Type": ["text/plain; charset=utf-8"]},
    }
