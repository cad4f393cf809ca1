"""The custom certificates the load balancer edges serve (pure): each proxied role's
proxy/ssl certificate_pem and private_key_pem as one PEM bundle, by the edge site's name. The
edges terminate TLS; the web hosts' proxies behind them serve plain HTTP (plan/from_config.py)."""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.config import Config
from dockyard.plan.from_config import certificate_bundle
from dockyard.redaction import Secret


def certificate_secret_names(config: Config) -> list[str]:
    """The secrets the edges' certificates come from (none without edges: a load balancer's,
    or a swarm's): custom certificates, and the ACME CA's root when the config names one."""
    balancer = config.dockyard.load_balancer
    if balancer is None and config.dockyard.backend != "swarm":
        return []
    found = [r.proxy.custom_certificate for r in config.proxy_roles if r.proxy]
    names = [n for cert in found if cert for n in (cert.certificate_pem, cert.private_key_pem)]
    return [*names, balancer.acme_ca_root] if balancer and balancer.acme_ca_root else names


def acme_root(config: Config, secrets: Mapping[str, str]) -> Secret | None:
    """The PEM root the edges trust for the ACME CA's own address (None: the system's)."""
    balancer = config.dockyard.load_balancer
    if balancer is None or not balancer.acme_ca_root:
        return None
    return Secret(secrets[balancer.acme_ca_root].strip() + "\n")


def edge_certificates(config: Config, secrets: Mapping[str, str]) -> dict[str, Secret]:
    """{site name: the PEM bundle of its certificate and key}, for the sites with one."""
    bundles: dict[str, Secret] = {}
    for role in config.proxy_roles:
        bundle = certificate_bundle(role.proxy, secrets) if role.proxy else None
        if bundle is not None:
            bundles[config.proxy_service_name(role.name)] = bundle
    return bundles
