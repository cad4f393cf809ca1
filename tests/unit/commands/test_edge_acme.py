"""proxy/ssl: true at the edges: the owner orders (HTTP-01 only); the other edge is first a
forwarder serving no HTTPS for those sites, then serves a copy of the owner's certificates under
the same issuer with a narrower renewal window; each edge passes the challenges it cannot
answer to the other, once."""

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
NAMES = ["shop.example.com", "www.shop.example.com"]
PASSED = {
    "@id": "dockyard-edge-acme-passed",
    "match": [
        {
            "host": NAMES,
            "path": ["/.well-known/acme-challenge/*"],
            "header": {"X-Dockyard-Edge-Passed": ["1"]},
        }
    ],
    "handle": [
        {
            "handler": "static_response",
            "status_code": 404,
            "body": "No ACME challenge with this token on either edge\n",
        }
    ],
    "terminal": True,
}


# an edge's stored certificates (never a key) for the other edge's mover (commands/edge_mover.py)
CERTIFICATES_ROUTE = {
    "@id": "dockyard-edge-certificates",
    "match": [{"path_regexp": {
        "pattern": r"^/\.well-known/dockyard-edge/certificates/[^/]+/[^/]+/[^/]+\.(crt|json)$"
    }}],
    "handle": [
        {"handler": "rewrite", "strip_path_prefix": "/.well-known/dockyard-edge/certificates"},
        {"handler": "file_server", "root": "/dockyard/acme/certificates", "hide": ["*.key"]},
    ],
    "terminal": True,
}  # fmt: skip


def passed_to(peer: str) -> list[dict[str, Any]]:
    """The plain server's first routes: a challenge for an ACME name passed here by the other
    edge that this edge's Caddy did not answer is a 404; any other challenge for them it did not
    answer goes to the other edge, marked as passed. Their host matcher keeps Caddy's automatic
    redirects to HTTPS after them."""
    return [
        PASSED,
        {
            "@id": "dockyard-edge-acme-challenges",
            "match": [{"host": NAMES, "path": ["/.well-known/acme-challenge/*"]}],
            "handle": [
                {
                    "handler": "reverse_proxy",
                    "upstreams": [{"dial": peer}],
                    "transport": {"protocol": "http", "dial_timeout": "2s"},
                    "headers": {"request": {"set": {"X-Dockyard-Edge-Passed": ["1"]}}},
                }
            ],
            "terminal": True,
        },
    ]


def config_as(role: str, peer: str = "") -> Any:
    peer = peer or ("10.0.0.9:80" if role == OWNER else "10.0.0.8:80")
    acme = EdgeAcme(role, peer, LAB_CA.ca, True, LAB_CA.email, LAB_CA.renew_interval)
    return edge_config([SHOP, BLOG], EdgeSettings(acme=acme))


def route_ids(config: Any, server: str) -> list[str | None]:
    return [r.get("@id") for r in config["apps"]["http"]["servers"][server]["routes"]]


def test_the_owner_orders_the_names_with_http_01_only_and_keeps_them_in_its_state_dir() -> None:
    config = config_as(OWNER)
    # its certificates for the other edge's mover, the challenges passed to the other edge;
    # redirects to HTTPS follow the sites
    assert config["apps"]["http"]["servers"]["edge"]["routes"][0] == CERTIFICATES_ROUTE
    assert config["apps"]["http"]["servers"]["edge"]["routes"][1:3] == passed_to("10.0.0.9:80")
    assert route_ids(config, "edge")[3:] == ["dockyard-edge-blog-web"]
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
                    "reuse_private_keys": True,  # the key both edges hold, for the mover
                }
            ],
        }
    }
    assert config["storage"] == {"module": "file_system", "root": "/dockyard/acme"}


def test_a_forwarder_passes_challenges_to_the_owner_and_orders_nothing() -> None:
    config = config_as(FORWARDER)
    assert config["apps"]["http"]["servers"]["edge"]["routes"][1:3] == passed_to("10.0.0.8:80")
    # the ACME site is not served yet: no TLS server; the plain one ends with the 404
    assert route_ids(config, "edge")[3:] == ["dockyard-edge-blog-web", None]
    assert set(config["apps"]["http"]["servers"]) == {"edge", "probe"}
    # the TLS app is there from the start (its renewal checks), with no policy
    assert config["apps"]["tls"] == {"automation": {"renew_interval": "2s"}}
    assert config["storage"] == {"module": "file_system", "root": "/dockyard/acme"}


def test_a_copy_serves_the_owners_certificates_under_the_same_issuer_and_renews_later() -> None:
    config, owner = config_as(COPY), config_as(OWNER)
    assert config["apps"]["http"]["servers"]["edge"]["routes"][0] == CERTIFICATES_ROUTE
    assert config["apps"]["http"]["servers"]["edge"]["routes"][1:3] == passed_to("10.0.0.8:80")
    assert route_ids(config, "edge-tls") == route_ids(owner, "edge-tls")
    policy = config["apps"]["tls"]["automation"]["policies"][0]
    assert policy["issuers"] == [ISSUER]  # the same storage path as the owner's certificates
    assert policy["renewal_window_ratio"] == 0.25
    assert policy["reuse_private_keys"] is True


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


def test_a_single_edge_passes_no_challenge_on() -> None:
    acme = EdgeAcme(OWNER, "", LAB_CA.ca, True, LAB_CA.email, LAB_CA.renew_interval)
    config = edge_config([SHOP, BLOG], EdgeSettings(acme=acme))
    assert route_ids(config, "edge") == ["dockyard-edge-blog-web"]
    assert "policies" in config["apps"]["tls"]["automation"]
