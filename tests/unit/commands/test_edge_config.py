"""The load balancer edge's Caddy config, and what it asks of the web hosts' proxies."""

from __future__ import annotations

import json
from typing import Any

from dockyard.commands import proxy
from dockyard.commands.caddy_config import AppRoute, caddy_config
from dockyard.commands.edge_config import EdgeSettings, EdgeSite, edge_config

WEB = ("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80")


def test_an_edge_balances_over_the_web_hosts_proxies_with_health_checks_and_retries() -> None:
    site = EdgeSite("shop-web", WEB, hosts=("shop.example.com",), health_uri="/up")
    assert edge_config([site]) == {
        "admin": {"listen": "unix//dockyard/admin.sock|0666", "config": {"persist": False}},
        "logging": {"logs": {
            "default": {"exclude": ["http.handlers.reverse_proxy.health_checker.active"]},
            "health": {
                "writer": {"output": "file", "filename": "/dockyard/health.log",
                           "roll_size_mb": 1, "roll_keep": 1, "mode": "0644"},
                "encoder": {"format": "json"},
                "include": ["http.handlers.reverse_proxy.health_checker.active"],
            },
        }},
        "apps": {"http": {
            "http_port": 80,
            "https_port": 443,
            "grace_period": "35s",
            "servers": {"edge": {
                "listen": [":80"],
                "logs": {},
                "routes": [
                    {
                        "@id": "dockyard-edge-shop-web",
                        "match": [{"host": ["shop.example.com"]}],
                        "handle": [{
                            "handler": "reverse_proxy",
                            # 8 slots the edge's hosts file maps to the web hosts
                            "upstreams": [{"dial": f"s{k}.shop-web.pool.dockyard:80"}
                                          for k in range(8)],
                            "transport": {"protocol": "http", "dial_timeout": "1s",
                                          "response_header_timeout": "30s"},
                            "load_balancing": {
                                "selection_policy": {"policy": "least_conn"},
                                # 5 s for other hosts after a web host's 5 s of dials
                                "try_duration": "10s",
                                "try_interval": "100ms",
                                "retry_match": [{"method": ["GET", "HEAD", "OPTIONS"]}],
                            },
                            "health_checks": {
                                "active": {
                                    "uri": "/up",
                                    "headers": {"X-Dockyard-Edge-Check": ["shop-web"],
                                                "Host": ["shop.example.com"]},
                                    "interval": "500ms",
                                    "timeout": "1s",
                                    "passes": 2,
                                    "fails": 1,
                                },
                                "passive": {"fail_duration": "2s", "max_fails": 1,
                                            "unhealthy_status": [502]},
                            },
                            "headers": {"request": {"delete": ["X-Dockyard-Edge-Check"]}},
                            "flush_interval": -1,
                            "stream_close_delay": "60s",
                        }],
                        "terminal": True,
                    },
                    {"handle": [{
                        "handler": "static_response",
                        "status_code": 404,
                        "body": "No app is served at this address\n",
                        "headers": {"Content-Type": ["text/plain; charset=utf-8"]},
                    }]},
                ],
            },
            # what the active check sees of one web host, asked by `lb details`
            "probe": {
                "listen": ["unix//dockyard/probe.sock|0666"],
                "routes": [{
                    "match": [{"path": ["/shop-web/*"]}],
                    "handle": [
                        {"handler": "rewrite", "strip_path_prefix": "/shop-web"},
                        {
                            "handler": "reverse_proxy",
                            "upstreams": [{"dial": "{http.request.hostport}"}],
                            "transport": {"protocol": "http", "dial_timeout": "1s",
                                          "response_header_timeout": "1s"},
                            "headers": {"request": {"set": {
                                "X-Dockyard-Edge-Check": ["shop-web"],
                                "Host": ["shop.example.com"],
                            }}},
                        },
                    ],
                }],
                "errors": {"routes": [{"handle": [{
                    "handler": "static_response",
                    "status_code": "{http.error.status_code}",
                    "body": "{http.error.message}\n",
                    "headers": {"Content-Type": ["text/plain; charset=utf-8"]},
                }]}]},
            }},
        }},
    }  # fmt: skip


def test_the_settings_reach_the_edge() -> None:
    site = EdgeSite(
        "shop-web", WEB[:2], path_prefixes=("/shop/",), health_uri="/shop/up",
        response_timeout=120, try_duration=3,
    )  # fmt: skip
    settings = EdgeSettings(http_port=8080, https_port=8443, drain_timeout=10)
    config = edge_config([site], settings)
    http = config["apps"]["http"]
    assert (http["http_port"], http["https_port"], http["grace_period"]) == (8080, 8443, "15s")
    server = http["servers"]["edge"]
    assert server["listen"] == [":8080"]
    route = server["routes"][0]
    assert route["match"] == [{"path": ["/shop*"]}]
    balancer = route["handle"][0]
    assert balancer["transport"]["response_header_timeout"] == "120s"
    assert balancer["load_balancing"]["try_duration"] == "8s"  # 3 after the web proxy's 5
    # no proxy host: the web hosts' proxies route any Host, the check sends none of its own
    assert balancer["health_checks"]["active"]["headers"] == {"X-Dockyard-Edge-Check": ["shop-web"]}
    assert balancer["health_checks"]["active"]["uri"] == "/shop/up"


def test_sites_with_hosts_come_before_a_catch_all_and_the_404() -> None:
    sites = [EdgeSite("z-web", WEB), EdgeSite("a-web", WEB, hosts=("a.example.com",))]
    routes = edge_config(sites)["apps"]["http"]["servers"]["edge"]["routes"]
    assert [r.get("@id") for r in routes] == ["dockyard-edge-a-web", "dockyard-edge-z-web", None]
    assert "match" not in routes[1]


def web_server(route: AppRoute) -> Any:
    return caddy_config([route])["apps"]["http"]["servers"]["http"]


def test_a_web_hosts_proxy_trusts_only_the_edges_and_keeps_what_they_forward() -> None:
    route = AppRoute("shop-web", 3000, hosts=("shop.example.com",), edges=("10.0.0.8", "10.0.0.9"))
    server = web_server(route)
    assert server["trusted_proxies"] == {"source": "static", "ranges": ["10.0.0.8", "10.0.0.9"]}
    slots = server["routes"][0]["handle"][-1]["routes"]
    for slot in slots:
        assert "headers" not in slot["handle"][0]  # Caddy's own: kept from a trusted peer only
    alone = web_server(AppRoute("shop-web", 3000, hosts=("shop.example.com",)))
    assert "trusted_proxies" not in alone
    assert "headers" in alone["routes"][0]["handle"][-1]["routes"][0]["handle"][0]


def test_a_drained_web_host_answers_only_the_edges_checks_with_503() -> None:
    route = AppRoute("shop-web", 3000, hosts=("shop.example.com",), edges=("10.0.0.8",))
    handlers = web_server(route)["routes"][0]["handle"]
    assert handlers[0] == {
        "handler": "subroute",
        "routes": [{
            "match": [{
                "header": {"X-Dockyard-Edge-Check": ["shop-web"]},
                "file": {"root": "/dockyard/live", "try_files": ["shop-web.drained"]},
            }],
            "handle": [{
                "handler": "static_response",
                "status_code": 503,
                "body": "drained from the load balancer\n",
                "headers": {"Content-Type": ["text/plain; charset=utf-8"]},
            }],
        }],
    }  # fmt: skip
    assert len(handlers) == 2  # then the live slot, as without edges
    assert len(web_server(AppRoute("shop-web", 3000))["routes"][0]["handle"]) == 1


def test_drain_and_undrain_are_a_flag_file_on_the_web_host() -> None:
    assert proxy.set_drained("shop-web", True).render() == (
        'touch "$HOME/.dockyard/proxy/live/shop-web.drained"'
    )
    assert proxy.set_drained("shop-web", False).render() == (
        'rm -f "$HOME/.dockyard/proxy/live/shop-web.drained"'
    )


def test_route_files_hold_the_edges_only_when_there_are_some() -> None:
    plain = AppRoute("shop-web", 3000)
    assert "edges" not in json.loads(plain.to_json())  # as a dockyard before edges wrote it
    behind = AppRoute("shop-web", 3000, edges=("10.0.0.8",))
    assert json.loads(behind.to_json())["edges"] == ["10.0.0.8"]
    assert AppRoute.from_json(behind.to_json()) == behind
    assert AppRoute.from_json(plain.to_json()) == plain


def test_a_site_with_a_custom_certificate_is_served_over_https_and_redirected_to_it() -> None:
    tls = EdgeSite("shop-web", WEB, hosts=("shop.example.com",), certificate="ab12")
    plain = EdgeSite("blog-web", WEB, hosts=("blog.example.com",))
    config = edge_config([tls, plain], EdgeSettings(http_port=8080, https_port=8443))
    servers = config["apps"]["http"]["servers"]
    # plain HTTP: only the plain site, and no catch-all, so Caddy's redirects to HTTPS follow
    assert [r["@id"] for r in servers["edge"]["routes"]] == ["dockyard-edge-blog-web"]
    secure = servers["edge-tls"]
    assert secure["listen"] == [":8443"]
    assert [r.get("@id") for r in secure["routes"]] == ["dockyard-edge-shop-web-tls", None]
    assert secure["automatic_https"] == {"skip_certificates": ["shop.example.com"]}
    assert config["apps"]["tls"] == {
        "certificates": {
            "load_files": [
                {
                    "certificate": "/dockyard/certs/shop-web.pem",
                    "key": "/dockyard/certs/shop-web.pem",
                    "tags": ["dockyard-edge-shop-web", "sha256-ab12"],
                }
            ]
        }
    }
    # the same balancer behind both listeners
    assert (
        secure["routes"][0]["handle"]
        == edge_config([tls])["apps"]["http"]["servers"]["edge-tls"]["routes"][0]["handle"]
    )


def test_without_ssl_redirect_a_tls_site_is_served_on_both_ports() -> None:
    site = EdgeSite("shop-web", WEB, hosts=("shop.example.com",), certificate="ab12",
                    ssl_redirect=False)  # fmt: skip
    servers = edge_config([site])["apps"]["http"]["servers"]
    assert [r.get("@id") for r in servers["edge"]["routes"]] == ["dockyard-edge-shop-web"]
    assert [r.get("@id") for r in servers["edge-tls"]["routes"]] == [
        "dockyard-edge-shop-web-tls",
        None,
    ]


def test_an_edge_in_front_of_a_swarm_resolves_the_services_tasks_and_checks_them_passively() -> (
    None
):
    site = EdgeSite("shop-web", (), hosts=("shop.test",), tasks=("tasks.shop_web", 3000))
    handler = edge_config([site])["apps"]["http"]["servers"]["edge"]["routes"][0]["handle"][0]
    assert "upstreams" not in handler
    assert handler["dynamic_upstreams"] == {
        "source": "a", "name": "tasks.shop_web", "port": "3000", "refresh": "1s"
    }  # fmt: skip
    assert handler["health_checks"] == {
        "passive": {"fail_duration": "2s", "max_fails": 1, "unhealthy_status": [502]}
    }
    assert handler["load_balancing"]["try_duration"] == "5s"


def test_a_site_with_a_web_host_given_by_name_dials_its_hosts_directly() -> None:
    site = EdgeSite("shop-web", ("web1.example.com:80", "10.0.0.2:80"))
    handler = edge_config([site])["apps"]["http"]["servers"]["edge"]["routes"][0]["handle"][0]
    assert handler["upstreams"] == [{"dial": "web1.example.com:80"}, {"dial": "10.0.0.2:80"}]


def test_a_site_has_the_next_power_of_two_slots_at_least_twice_its_web_hosts() -> None:
    hosts = tuple(f"10.0.0.{n}:8080" for n in range(1, 6))
    handler = edge_config([EdgeSite("shop-web", hosts)])["apps"]["http"]["servers"]["edge"][
        "routes"
    ][0]["handle"][0]
    assert [u["dial"] for u in handler["upstreams"]] == [
        f"s{k}.shop-web.pool.dockyard:8080" for k in range(16)
    ]
