"""The load balancer edges, from `x-dockyard: load_balancer: {...}` (pure).

    x-dockyard:
      load_balancer:
        hosts: [edge1.example.com, edge2.example.com]   # one or two edges (required)
        http_port: 80        # what the edges listen on (default 80)
        https_port: 443      # (default 443; with a custom certificate in proxy/ssl)
        try_duration: 5      # seconds a request may spend trying other web hosts (default 5)

Each edge runs dockyard's Caddy, serves the app's proxy host(s) and passes requests to the web
hosts' proxies. An edge may also be one of the servers: its proxy then has the ports 80 and 443,
so the edge needs other ones, and validation says so. Kamal ignores `x-` keys, so the config
stays Kamal's; with no `load_balancer` key nothing changes, even with several web hosts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.config.names import host_problem
from dockyard.config.schema_proxy import X_LOAD_BALANCER
from dockyard.errors import ConfigError

PATH = "x-dockyard/load_balancer"
MAX_EDGES = 2
DEFAULT_HTTP_PORT = int(X_LOAD_BALANCER["http_port"][2])
DEFAULT_HTTPS_PORT = int(X_LOAD_BALANCER["https_port"][2])
DEFAULT_TRY_DURATION = int(X_LOAD_BALANCER["try_duration"][2])
MAX_TRY_DURATION = 60


@dataclass(frozen=True)
class LoadBalancer:
    """One or two edges in front of the app's web hosts."""

    hosts: tuple[str, ...]
    http_port: int = DEFAULT_HTTP_PORT
    https_port: int = DEFAULT_HTTPS_PORT
    try_duration: int = DEFAULT_TRY_DURATION


def parse_load_balancer(raw: Mapping[str, Any], root: Mapping[str, Any]) -> LoadBalancer:
    """The section as validated key by key (types checked already); ConfigError with the key
    path of the first problem. `root` is the whole config: an edge that is also a server must
    not take its proxy's ports."""
    hosts = _edge_hosts(raw.get("hosts"))
    balancer = LoadBalancer(
        hosts=hosts,
        http_port=_port(raw, "http_port", DEFAULT_HTTP_PORT),
        https_port=_port(raw, "https_port", DEFAULT_HTTPS_PORT),
        try_duration=raw.get("try_duration", DEFAULT_TRY_DURATION),
    )
    if balancer.http_port == balancer.https_port:
        raise ConfigError("should differ from http_port", key=f"{PATH}/https_port")
    if not 1 <= balancer.try_duration <= MAX_TRY_DURATION:
        raise ConfigError(
            f"should be 1 to {MAX_TRY_DURATION} seconds, not {balancer.try_duration}",
            key=f"{PATH}/try_duration",
        )
    _check_shared_hosts(balancer, root)
    _check_no_tls(root)
    return balancer


def _edge_hosts(value: Any) -> tuple[str, ...]:
    if not value:
        raise ConfigError(
            "is required: the one or two hosts that run the edges, e.g. [edge1.example.com]",
            key=f"{PATH}/hosts",
        )
    if len(value) > MAX_EDGES:
        raise ConfigError(
            f"takes one or two edges, not {len(value)}: two already leave no single point of "
            "failure (put them behind one name: docs/load-balancing.md)",
            key=f"{PATH}/hosts",
        )
    hosts = tuple(str(host) for host in value)
    for index, host in enumerate(hosts):
        problem = host_problem(host)
        if problem is not None:
            raise ConfigError(problem, key=f"{PATH}/hosts/{index}")
        if host in hosts[:index]:
            raise ConfigError(f"host {host} is listed twice", key=f"{PATH}/hosts/{index}")
    return hosts


def _port(raw: Mapping[str, Any], key: str, default: int) -> int:
    port = raw.get(key, default)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"should be a port number (1 to 65535), not {port}", key=f"{PATH}/{key}")
    return port


def _check_shared_hosts(balancer: LoadBalancer, root: Mapping[str, Any]) -> None:
    """An edge on a server where the proxy runs cannot listen on the proxy's ports."""
    run = (root.get("proxy") or {}).get("run") if isinstance(root.get("proxy"), dict) else None
    run = run if isinstance(run, dict) else {}
    taken = {run.get("http_port", 80): "http_port", run.get("https_port", 443): "https_port"}
    servers = set(server_hosts(root.get("servers")))
    for host in balancer.hosts:
        if host not in servers:
            continue
        for key in ("http_port", "https_port"):
            port = getattr(balancer, key)
            if port in taken:
                raise ConfigError(
                    f"edge {host} is also a server, whose proxy listens on {port} "
                    f"(proxy/run/{taken[port]}): give the edge another port",
                    key=f"{PATH}/{key}",
                )


def _check_no_tls(root: Mapping[str, Any]) -> None:
    """Certificates obtained by ACME and shared by the edges are not built yet: refused rather
    than served wrong. A custom certificate (ssl: {certificate_pem, private_key_pem}) is
    served by every edge."""
    proxies = [root.get("proxy")]
    servers = root.get("servers")
    if isinstance(servers, dict):
        proxies += [role.get("proxy") for role in servers.values() if isinstance(role, dict)]
    if any(isinstance(proxy, dict) and proxy.get("ssl") is True for proxy in proxies):
        raise ConfigError(
            "cannot be used with proxy/ssl: true yet (certificates by ACME shared by the "
            "edges are planned): give the edges a custom certificate instead, proxy/ssl: "
            "{certificate_pem: SECRET, private_key_pem: SECRET} (docs/load-balancing.md)",
            key=PATH,
        )


def server_hosts(servers: Any) -> list[str]:
    """Every host of every role, as written (a list of hosts, or roles with hosts)."""
    roles = servers.values() if isinstance(servers, dict) else [servers]
    found: list[str] = []
    for role in roles:
        entries = role.get("hosts") if isinstance(role, dict) else role
        for entry in entries or []:
            host = next(iter(entry)) if isinstance(entry, dict) else entry
            if isinstance(host, str) and host not in found:
                found.append(host)
    return found
