"""What the load balancer edges serve, from the config (pure): one site per proxied role, whose
upstreams are that role's web hosts' proxies, and which edges the web hosts' proxies trust."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from dockyard.commands.edge_acme import EdgeAcme
from dockyard.commands.edge_config import EdgeSettings, EdgeSite
from dockyard.commands.edge_pool import is_address
from dockyard.config import Config
from dockyard.config.load_balancer import LoadBalancer
from dockyard.config.model import Proxy, Role
from dockyard.errors import UsageError


def edge_sites(config: Config, certificates: Mapping[str, str] = {}) -> tuple[EdgeSite, ...]:
    """Nothing without `x-dockyard: load_balancer:`. `certificates`: the PEM bundles of the
    sites that have a custom certificate, by site name (plan/edge_tls.py): those sites serve
    HTTPS at the edges."""
    balancer = config.dockyard.load_balancer
    if balancer is None:
        return ()
    return tuple(
        replace(
            edge_site(config, role, role.proxy, certificates),
            upstreams=tuple(f"{host}:{role.proxy.run.http_port}" for host in role.host_names),
        )
        for role in config.proxy_roles
        if role.proxy is not None
    )


def edge_site(
    config: Config, role: Role, proxy: Proxy, certificates: Mapping[str, str]
) -> EdgeSite:
    """What every edge serves of a proxied role, whatever is behind it (web hosts' proxies
    or a swarm's tasks: the caller sets the upstreams): its names and paths, retries, and TLS
    (a custom certificate's digest from `certificates`, by site name, or ACME)."""
    name = config.proxy_service_name(role.name)
    return EdgeSite(
        name=name,
        upstreams=(),
        hosts=proxy.hosts,
        path_prefixes=proxy.path_prefixes,
        health_uri=health_uri(proxy),
        response_timeout=proxy.response_timeout,
        try_duration=_balancer(config).try_duration,
        certificate=_digest(certificates.get(name)),
        ssl_redirect=proxy.ssl_redirect,
        acme=is_acme(proxy),
    )


def edge_settings(config: Config) -> EdgeSettings:
    """The edges' ports and ACME settings: x-dockyard/load_balancer's, else the defaults (a
    swarm's edges need no load_balancer key)."""
    balancer = _balancer(config)
    acme = EdgeAcme(
        ca=balancer.acme_ca,
        ca_root=bool(balancer.acme_ca_root),
        email=config.dockyard.acme_email or "",
        renew_interval=balancer.renew_interval,
    )
    return EdgeSettings(
        http_port=balancer.http_port,
        https_port=balancer.https_port,
        drain_timeout=config.drain_timeout,
        acme=acme if any(is_acme(r.proxy) for r in config.proxy_roles if r.proxy) else None,
    )


def _balancer(config: Config) -> LoadBalancer:
    return config.dockyard.load_balancer or LoadBalancer(hosts=())


def is_acme(proxy: Proxy) -> bool:
    """The role's certificate is obtained by ACME (ssl: true without a custom one)."""
    return proxy.ssl and proxy.custom_certificate is None


def acme_names(sites: Sequence[EdgeSite]) -> list[str]:
    """The names the edges hold ACME certificates for."""
    return sorted({host for site in sites if site.acme for host in site.hosts})


def as_acme_role(settings: EdgeSettings, role: str, peer: str = "") -> EdgeSettings:
    """The settings of one edge: the owner orders, the other serves a copy (first as a
    forwarder); each passes the challenges it cannot answer to `peer`, the other edge's host
    ("": none, a single edge) (commands/edge_acme.py)."""
    if settings.acme is None:
        return settings
    address = f"{peer}:{settings.http_port}" if peer else ""
    return replace(settings, acme=replace(settings.acme, role=role, peer=address))


def health_uri(proxy: Proxy) -> str:
    """The app's health path as the edges ask the web hosts' proxies for it: under the route's
    first path prefix when the proxy strips it before passing the request on."""
    path = proxy.healthcheck.path
    if proxy.path_prefixes and proxy.strip_path_prefix:
        return proxy.path_prefixes[0].rstrip("/") + path
    return path


def trusted_edges(config: Config) -> tuple[str, ...]:
    """The edges the web hosts' proxies trust with X-Forwarded-*: those given as IP addresses
    (Caddy trusts addresses, not names; an edge given by name is not trusted, and without
    forward_headers the app then sees the edge's address)."""
    balancer = config.dockyard.load_balancer
    if balancer is None:
        return ()
    return tuple(host for host in balancer.hosts if is_address(host))


def web_upstreams(sites: Sequence[EdgeSite], host: str) -> list[str]:
    """The web host's proxy as the edges dial it, once per site it serves; UsageError when
    the host is none of the web hosts behind the edges."""
    found = [u for s in sites for u in s.upstreams if u.rsplit(":", 1)[0] == host]
    if not found:
        web = sorted({u.rsplit(":", 1)[0] for s in sites for u in s.upstreams})
        raise UsageError(
            f"{host} is not a web host behind the load balancer (those are: "
            f"{', '.join(web) or 'none'})"
        )
    return found


def _digest(bundle: str | None) -> str:
    return hashlib.sha256(bundle.encode()).hexdigest() if bundle else ""
