"""x-dockyard/load_balancer: opt-in, typed, and every rejection located by key path and line."""

from __future__ import annotations

import pytest

from dockyard.config.load_balancer import LoadBalancer
from tests.unit.config.conftest import BASE, error_of, parse

THREE_WEB_HOSTS = BASE + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]\nproxy: {host: app.example.com}\n"


def with_balancer(section: str) -> str:
    return THREE_WEB_HOSTS + f"x-dockyard:\n  load_balancer: {section}\n"


def test_no_load_balancer_key_changes_nothing_even_with_several_web_hosts() -> None:
    assert parse(THREE_WEB_HOSTS).dockyard.load_balancer is None
    assert parse(THREE_WEB_HOSTS + "x-dockyard: {runtime: podman}\n").dockyard.load_balancer is None


def test_defaults_and_every_key() -> None:
    assert parse(with_balancer("{hosts: [edge1.example.com]}")).dockyard.load_balancer == (
        LoadBalancer(hosts=("edge1.example.com",), http_port=80, https_port=443, try_duration=5)
    )
    section = (
        "{hosts: [10.0.0.8, 10.0.0.9], http_port: 8080, https_port: 8443, try_duration: 3, "
        "acme_ca: 'https://ca.test/dir', acme_ca_root: CA_ROOT, renew_interval: 2}"
    )
    assert parse(with_balancer(section)).dockyard.load_balancer == LoadBalancer(
        hosts=("10.0.0.8", "10.0.0.9"),
        http_port=8080,
        https_port=8443,
        try_duration=3,
        acme_ca="https://ca.test/dir",
        acme_ca_root="CA_ROOT",
        renew_interval=2,
    )


def test_an_edge_that_is_also_a_server_takes_other_ports_than_its_proxy() -> None:
    section = "{hosts: [10.0.0.1, 10.0.0.9], http_port: 8080, https_port: 8443}"
    assert parse(with_balancer(section)).dockyard.load_balancer is not None


LINE = 11  # the line of `load_balancer:` in with_balancer's text
CASES = [
    ("{}", "x-dockyard/load_balancer/hosts", "is required: the one or two hosts"),
    ("{hosts: []}", "x-dockyard/load_balancer/hosts", "is required"),
    ("{hosts: edge1}", "x-dockyard/load_balancer/hosts", "should be a list, not a string"),
    ("{hosts: [a, b, c]}", "x-dockyard/load_balancer/hosts", "one or two edges, not 3"),
    ("{hosts: [a, a]}", "x-dockyard/load_balancer/hosts/1", "host a is listed twice"),
    ("{hosts: ['a b']}", "x-dockyard/load_balancer/hosts/0", "is not a DNS name"),
    ("{hosts: [a], http_port: 0}", "x-dockyard/load_balancer/http_port", "(1 to 65535), not 0"),
    ("{hosts: [a], https_port: 70000}", "x-dockyard/load_balancer/https_port", "not 70000"),
    ("{hosts: [a], https_port: 80}", "x-dockyard/load_balancer/https_port", "differ from"),
    ("{hosts: [a], try_duration: 0}", "x-dockyard/load_balancer/try_duration", "1 to 60"),
    ("{hosts: [a], try_duration: x}", "x-dockyard/load_balancer/try_duration", "whole number"),
    ("{hosts: [a], renew_interval: 0}", "x-dockyard/load_balancer/renew_interval", "1 second"),
    ("{hosts: [a], weights: {}}", "x-dockyard/load_balancer", "unknown key: weights"),
    ("{hosts: [10.0.0.2]}", "x-dockyard/load_balancer/http_port",
     "edge 10.0.0.2 is also a server, whose proxy listens on 80 (proxy/run/http_port)"),
    ("{hosts: [10.0.0.2], http_port: 8080}", "x-dockyard/load_balancer/https_port",
     "listens on 443 (proxy/run/https_port): give the edge another port"),
    ("[edge1]", "x-dockyard/load_balancer", "should be a map"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "key", "message"), CASES, ids=[c[0] for c in CASES])
def test_rejection(section: str, key: str, message: str) -> None:
    error = error_of(with_balancer(section))
    assert (error.key, error.line) == (key, LINE)
    assert message in error.message
    assert "\n" not in str(error)


def test_the_proxy_ports_a_shared_edge_must_avoid_are_the_proxys_own() -> None:
    text = THREE_WEB_HOSTS.replace(
        "proxy: {host: app.example.com}",
        "proxy: {host: app.example.com, run: {http_port: 8080, https_port: 8443}}",
    )
    shared = text + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.3]}\n"
    assert parse(shared).dockyard.load_balancer == LoadBalancer(hosts=("10.0.0.3",))
    clash = text + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.3], http_port: 8443}\n"
    assert "proxy/run/https_port" in error_of(clash).message


def test_acme_at_the_edges_is_accepted_except_for_wildcards_and_the_internal_ca() -> None:
    ssl = THREE_WEB_HOSTS.replace("{host: app.example.com}", "{host: app.example.com, ssl: true}")
    balanced = parse(ssl + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n")
    assert balanced.dockyard.load_balancer == LoadBalancer(hosts=("10.0.0.8", "10.0.0.9"))
    wild = ssl.replace("host: app.example.com", "hosts: [a.example.com, '*.example.com']")
    error = error_of(wild + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.9]}\n")
    assert error.key == "proxy/ssl"
    assert "*.example.com: a wildcard name needs a DNS-01 challenge" in error.message
    assert "certificate_pem" in error.message
    roles = BASE + "servers:\n  web: {hosts: [a], proxy: {hosts: ['*.a.test'], ssl: true}}\n"
    error = error_of(roles + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.9]}\n")
    assert error.key == "servers/web/proxy/ssl"
    internal = (
        "x-dockyard:\n  proxy: {tls_issuer: internal}\n  load_balancer: {hosts: [10.0.0.9]}\n"
    )
    error = error_of(ssl + internal)
    assert error.key == "x-dockyard/proxy/tls_issuer"
    assert "each edge would run its own CA" in error.message
    custom = THREE_WEB_HOSTS.replace(
        "{host: app.example.com}",
        "{host: app.example.com, ssl: {certificate_pem: CERT_PEM, private_key_pem: KEY_PEM}}",
    )
    balanced = parse(custom + internal)
    assert balanced.dockyard.load_balancer == LoadBalancer(hosts=("10.0.0.9",))
