"""The load balancer edges, from `x-dockyard: load_balancer: {...}` (pure).

    x-dockyard:
      load_balancer:
        hosts: [edge1.example.com, edge2.example.com]   # one or two edges (required)
        http_port: 80        # what the edges listen on (default 80)
        https_port: 443      # (default 443; with a custom certificate in proxy/ssl)
        try_duration: 5      # seconds a request may spend trying other web hosts (default 5)
        acme_ca: https://acme.example/dir   # with proxy/ssl: true (default: Caddy's, Let's Encrypt)
        acme_ca_root: ACME_ROOT             # a secret: the PEM root that CA's own address uses
        renew_interval: 600  # seconds between the edges' checks for certificates to renew

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
DEFAULT_RENEW_INTERVAL = int(X_LOAD_BALANCER["renew_interval"][2])
MAX_TRY_DURATION = 60


@dataclass(frozen=True)
class LoadBalancer:
    """One or two edges in front of the app's web hosts."""

    hosts: tuple[str, ...]
    http_port: int = DEFAULT_HTTP_PORT
    https_port: int = DEFAULT_HTTPS_PORT
    try_duration: int = DEFAULT_TRY_DURATION
    acme_ca: str = ""  # the ACME directory for proxy/ssl: true; "": Caddy's default
    acme_ca_root: str = ""  # the secret holding that directory's trusted root (PEM); "": none
    renew_interval: int = DEFAULT_RENEW_INTERVAL


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
        acme_ca=str(raw.get("acme_ca", "")),
        acme_ca_root=str(raw.get("acme_ca_root", "")),
        renew_interval=raw.get("renew_interval", DEFAULT_RENEW_INTERVAL),
    )
    if balancer.http_port == balancer.https_port:
        raise ConfigError("should differ from http_port", key=f"{PATH}/https_port")
    if not 1 <= balancer.try_duration <= MAX_TRY_DURATION:
        raise ConfigError(
            f"should be 1 to {MAX_TRY_DURATION} seconds, not {balancer.try_duration}",
            key=f"{PATH}/try_duration",
        )
    if balancer.renew_interval < 1:
        raise ConfigError(
            f"should be 1 second or more, not {balancer.renew_interval}",
            key=f"{PATH}/renew_interval",
        )
    _check_shared_hosts(balancer, root)
    _check_acme(root)
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
    """An edge on a server where the proxy runs cannot listen on the proxy's ports (a swarm
    runs no proxy on its servers: its edges are the ingress)."""
    if (root.get("x-dockyard") or {}).get("backend") == "swarm":
        return
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


def _check_acme(root: Mapping[str, Any]) -> None:
    """proxy/ssl: true at the edges: the first edge orders with HTTP-01 (the other passes the
    challenges on), so no wildcard names, and a certificate both edges can serve: not Caddy's
    internal CA, which each edge would run on its own."""
    for where, proxy in _proxies(root):
        if proxy.get("ssl") is not True:
            continue
        hosts = [proxy.get("host"), *list(proxy.get("hosts") or [])]
        wild = next((h for h in hosts if isinstance(h, str) and h.startswith("*")), None)
        if wild is not None:
            raise ConfigError(
                f"{wild}: a wildcard name needs a DNS-01 challenge, which the edges do not run "
                "(they answer HTTP-01): name each host, or give the edges a custom certificate, "
                "ssl: {certificate_pem: SECRET, private_key_pem: SECRET}",
                key=f"{where}/ssl",
            )
    x_proxy = (root.get("x-dockyard") or {}).get("proxy") or {}
    internal = isinstance(x_proxy, dict) and x_proxy.get("tls_issuer") == "internal"
    if internal and any(proxy.get("ssl") is True for _, proxy in _proxies(root)):
        raise ConfigError(
            "cannot be internal with a load balancer and proxy/ssl: true (each edge would "
            "run its own CA): use acme, or a custom certificate in proxy/ssl",
            key="x-dockyard/proxy/tls_issuer",
        )


def _proxies(root: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(key path, proxy section) of the app and of each role that has one."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(root.get("proxy"), dict):
        found.append(("proxy", root["proxy"]))
    servers = root.get("servers")
    if isinstance(servers, dict):
        for name, role in servers.items():
            if isinstance(role, dict) and isinstance(role.get("proxy"), dict):
                found.append((f"servers/{name}/proxy", role["proxy"]))
    return found


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
