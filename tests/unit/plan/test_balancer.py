"""x-dockyard/load_balancer reaches the edges' sites and the web hosts' routes."""

from __future__ import annotations

import hashlib

import pytest

from dockyard.commands.edge_config import EdgeSettings, EdgeSite
from dockyard.errors import UsageError
from dockyard.plan.balancer import edge_settings, edge_sites, trusted_edges, web_upstreams
from dockyard.plan.edge_tls import certificate_secret_names, edge_certificates
from dockyard.plan.from_config import deploy_plan
from tests.unit.config.conftest import BASE, parse

APP = BASE + (
    "servers:\n"
    "  web: {hosts: [10.0.0.1, 10.0.0.2]}\n"
    "  job: {hosts: [10.0.0.3], cmd: bin/jobs}\n"
    "proxy: {host: shop.test, path_prefix: /shop, healthcheck: {path: /health},\n"
    "        response_timeout: 90, run: {http_port: 8081, https_port: 8444}}\n"
)


def test_the_edges_serve_each_proxied_role_from_its_web_hosts_proxies() -> None:
    balancer = "{hosts: [10.0.0.8, edge2.test], http_port: 8080, https_port: 8443, try_duration: 2}"
    config = parse(APP + f"x-dockyard:\n  load_balancer: {balancer}\n")
    assert edge_sites(config) == (
        EdgeSite(
            name="app-web",
            upstreams=("10.0.0.1:8081", "10.0.0.2:8081"),
            hosts=("shop.test",),
            path_prefixes=("/shop",),
            health_uri="/shop/health",
            response_timeout=90,
            try_duration=2,
        ),
    )
    assert edge_settings(config) == EdgeSettings(http_port=8080, https_port=8443, drain_timeout=30)
    assert trusted_edges(config) == ("10.0.0.8",)  # Caddy trusts addresses, not names
    routes = [
        boot.route
        for group in deploy_plan(config, {}).groups
        for host in group
        for boot in host.roles
    ]
    assert [route.edges for route in routes if route is not None] == [("10.0.0.8",)] * 2


def test_without_a_load_balancer_nothing_changes() -> None:
    config = parse(APP)
    assert edge_sites(config) == ()
    assert trusted_edges(config) == ()
    routes = [
        boot.route
        for group in deploy_plan(config, {}).groups
        for host in group
        for boot in host.roles
    ]
    assert [route.edges for route in routes if route is not None] == [(), ()]


def test_the_health_path_is_asked_as_the_route_passes_it_on() -> None:
    unstripped = APP.replace("path_prefix: /shop,", "path_prefix: /shop, strip_path_prefix: false,")
    config = parse(unstripped + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8]}\n")
    assert edge_sites(config)[0].health_uri == "/health"


def test_a_web_host_is_named_by_its_address_behind_the_edges() -> None:
    config = parse(APP + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8]}\n")
    assert web_upstreams(edge_sites(config), "10.0.0.2") == ["10.0.0.2:8081"]
    with pytest.raises(UsageError, match=r"10.0.0.3 is not a web host behind the load balancer "
                       r"\(those are: 10.0.0.1, 10.0.0.2\)"):  # fmt: skip
        web_upstreams(edge_sites(config), "10.0.0.3")  # a host of a role without the proxy


def test_a_custom_certificate_is_served_by_the_edges_and_the_web_hosts_stay_plain() -> None:
    ssl = "ssl: {certificate_pem: CERT_PEM, private_key_pem: KEY_PEM}"
    text = APP.replace("response_timeout: 90,", f"response_timeout: 90, {ssl},")
    config = parse(text + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8]}\n")
    assert certificate_secret_names(config) == ["CERT_PEM", "KEY_PEM"]
    secrets = {"CERT_PEM": "cert\n", "KEY_PEM": "key\n"}
    bundles = edge_certificates(config, secrets)
    assert bundles == {"app-web": "cert\nkey\n"}
    (site,) = edge_sites(config, bundles)
    assert site.certificate == hashlib.sha256(b"cert\nkey\n").hexdigest()
    assert site.ssl_redirect
    assert edge_sites(config)[0].certificate == ""  # without the bundles: plain (lb drain)
    plan = deploy_plan(config, {**secrets, "REGISTRY_PASSWORD": "x"})
    boot = plan.groups[0][0].roles[0]
    assert boot.route is not None
    assert (boot.route.ssl, boot.route.certificate, boot.certificate_pem) == (False, None, None)
    alone = deploy_plan(parse(text), {**secrets, "REGISTRY_PASSWORD": "x"})
    assert alone.groups[0][0].roles[0].route.ssl  # type: ignore[union-attr]
    assert certificate_secret_names(parse(text)) == []
