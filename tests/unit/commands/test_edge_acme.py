"""proxy/ssl: true at the edges: the owner orders (HTTP-01 only), the other edge passes the
challenges on, first as a forwarder serving no HTTPS for those sites, then with a copy of the
owner's certificates under the same issuer and a narrower renewal window."""

from __future__ import annotations

from typing import Any

from dockyard.commands.edge_acme import COPY, FORWARDER, OWNER, EdgeAcme
from dockyard.commands.edge_config import EdgeSettings, EdgeSite, edge_config

WEB = ("10.0.0.1:80", "10.0.0.2:80")
SHOP = EdgeSite("shop-web", WEB, hosts=("shop.example.com", "www.shop.example.com"), acme=True)
BLOG = EdgeSite("blog-web", WEB, hosts=("blog.example.com",))
LAB_CA = EdgeAcme(
    ca="https://10.9.0.1:14000/dir", ca_root=True, email="ops@example.com", renew_interval=2
)
ISSUER = {
    "module": "acme",
    "ca": "https://10.9.0.1:14000/dir",
    "email": "ops@example.com",
    "trusted_roots_pem_files": ["/dockyard/certs/acme-ca-root.pem"],
    "challenges": {"tls-alpn": {"disabled": True}},
}
CHALLENGES = {
    "@id": "dockyard-edge-acme-challenges",
    "match": [{"path": ["/.well-known/acme-challenge/*"]}],
    "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "10.0.0.8:80"}]}],
    "terminal": True,
}


def config_as(role: str) -> Any:
    owner = "" if role == OWNER else "10.0.0.8:80"
    acme = EdgeAcme(role, owner, LAB_CA.ca, True, LAB_CA.email, LAB_CA.renew_interval)
    return edge_config([SHOP, BLOG], EdgeSettings(acme=acme))


def route_ids(config: Any, server: str) -> list[str | None]:
    return [r.get("@id") for r in config["apps"]["http"]["servers"][server]["routes"]]


def test_the_owner_orders_the_names_with_http_01_only_and_keeps_them_in_its_state_dir() -> None:
    config = config_as(OWNER)
    assert route_ids(config, "edge") == ["dockyard-edge-blog-web"]  # redirects to HTTPS follow
    assert route_ids(config, "edge-tls") == ["dockyard-edge-shop-web-tls", None]
    # Caddy manages the ACME names itself (nothing skipped), with the edge's policy
    assert config["apps"]["http"]["servers"]["edge-tls"]["automatic_https"] == {
        "skip_certificates": []
    }
    assert config["apps"]["tls"] == {
        "automation": {
            "renew_interval": "2s",
            "policies": [
                {
                    "subjects": ["shop.example.com", "www.shop.example.com"],
                    "issuers": [ISSUER],
                    "renewal_window_ratio": 0.34,
                }
            ],
        }
    }
    assert config["storage"] == {"module": "file_system", "root": "/dockyard/acme"}


def test_a_forwarder_passes_challenges_to_the_owner_and_orders_nothing() -> None:
    config = config_as(FORWARDER)
    assert config["apps"]["http"]["servers"]["edge"]["routes"][0] == CHALLENGES
    # the ACME site is not served yet: no TLS server; the plain one ends with the 404
    assert route_ids(config, "edge")[1:] == ["dockyard-edge-blog-web", None]
    assert set(config["apps"]["http"]["servers"]) == {"edge", "probe"}
    # the TLS app is there from the start (its renewal checks), with no policy
    assert config["apps"]["tls"] == {"automation": {"renew_interval": "2s"}}
    assert config["storage"] == {"module": "file_system", "root": "/dockyard/acme"}


def test_a_copy_serves_the_owners_certificates_under_the_same_issuer_and_renews_later() -> None:
    config, owner = config_as(COPY), config_as(OWNER)
    assert config["apps"]["http"]["servers"]["edge"]["routes"][0] == CHALLENGES
    assert route_ids(config, "edge-tls") == route_ids(owner, "edge-tls")
    policy = config["apps"]["tls"]["automation"]["policies"][0]
    assert policy["issuers"] == [ISSUER]  # the same storage path as the owner's certificates
    assert policy["renewal_window_ratio"] == 0.25


def test_default_ca_and_a_custom_certificate_beside_an_acme_site() -> None:
    custom = EdgeSite("api-web", WEB, hosts=("api.example.com",), certificate="ab12")
    config = edge_config([SHOP, custom], EdgeSettings(acme=EdgeAcme()))
    issuer = config["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]
    assert issuer == {"module": "acme", "challenges": {"tls-alpn": {"disabled": True}}}
    assert [f["key"] for f in config["apps"]["tls"]["certificates"]["load_files"]] == [
        "/dockyard/certs/api-web.pem"
    ]
    assert config["apps"]["http"]["servers"]["edge-tls"]["automatic_https"] == {
        "skip_certificates": ["api.example.com"]
    }
    # no ACME site: no ACME settings, whatever the settings say
    assert "storage" not in edge_config([custom], EdgeSettings(acme=EdgeAcme()))
