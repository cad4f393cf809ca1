from dockyard.commands.caddy_config import AppRoute, Maintenance, ProxySettings, caddy_config

PROBE_ERROR = "proxy to {http.request.hostport}: {http.error.message}\n"


def _proxy_to(dial: str) -> dict[str, object]:
    return {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": dial}],
        "transport": {"protocol": "http", "dial_timeout": "1s", "response_header_timeout": "30s"},
        "load_balancing": {"try_duration": "5s", "try_interval": "250ms"},
        "health_checks": {"passive": {"fail_duration": "2s", "max_fails": 1_000_000_000}},
        "stream_close_delay": "60s",
        "headers": {
            "request": {
                "set": {
                    "X-Forwarded-For": ["{http.request.remote.host}"],
                    "X-Forwarded-Proto": ["{http.request.scheme}"],
                    "X-Forwarded-Host": ["{http.request.host}"],
                }
            }
        },
    }


def test_a_route_serves_the_slot_its_live_file_names() -> None:
    # A deploy changes no config: it creates or removes /dockyard/live/demo-web.b.
    route = AppRoute("demo-web", 3000, hosts=("app.test",))
    server = caddy_config([route])["apps"]["http"]["servers"]["http"]
    assert server["routes"][0]["handle"] == [
        {
            "handler": "subroute",
            "routes": [
                {
                    "match": [{"file": {"root": "/dockyard/live", "try_files": ["demo-web.b"]}}],
                    "handle": [_proxy_to("demo-web--b:3000")],
                    "terminal": True,
                },
                {"handle": [_proxy_to("demo-web--a:3000")]},
            ],
        }
    ]
    assert route.slot_upstream("a") == "demo-web--a:3000"


def test_one_plain_route() -> None:
    # A route file written before slots names its upstream: it is served as it says.
    route = AppRoute(
        "demo-web", upstreams=("demo-web-v1:80",), hosts=("app.test",), drain_timeout=10
    )
    assert caddy_config([route]) == {
        "admin": {"listen": "unix//dockyard/admin.sock|0666", "config": {"persist": False}},
        "apps": {
            "http": {
                "http_port": 80,
                "https_port": 443,
                "grace_period": "15s",
                "servers": {
                    "http": {
                        "listen": [":80"],
                        "logs": {},
                        "routes": [
                            {
                                "@id": "dockyard-demo-web",
                                "match": [{"host": ["app.test"]}],
                                "handle": [
                                    {
                                        "handler": "reverse_proxy",
                                        "upstreams": [{"dial": "demo-web-v1:80"}],
                                        "transport": {
                                            "protocol": "http",
                                            "dial_timeout": "1s",
                                            "response_header_timeout": "30s",
                                        },
                                        "load_balancing": {
                                            "try_duration": "5s",
                                            "try_interval": "250ms",
                                        },
                                        "health_checks": {
                                            "passive": {
                                                "fail_duration": "2s",
                                                "max_fails": 1_000_000_000,
                                            }
                                        },
                                        "stream_close_delay": "60s",
                                        "headers": {
                                            "request": {
                                                "set": {
                                                    "X-Forwarded-For": [
                                                        "{http.request.remote.host}"
                                                    ],
                                                    "X-Forwarded-Proto": ["{http.request.scheme}"],
                                                    "X-Forwarded-Host": ["{http.request.host}"],
                                                }
                                            }
                                        },
                                    }
                                ],
                                "terminal": True,
                            },
                            {
                                "handle": [
                                    {
                                        "handler": "static_response",
                                        "status_code": 404,
                                        "body": "No app is deployed at this address\n",
                                        "headers": {"Content-Type": ["text/plain; charset=utf-8"]},
                                    }
                                ],
                                "terminal": True,
                            },
                        ],
                    },
                    "probe": {
                        "listen": ["unix//dockyard/probe.sock|0666"],
                        "routes": [
                            {
                                "handle": [
                                    {
                                        "handler": "reverse_proxy",
                                        "upstreams": [{"dial": "{http.request.hostport}"}],
                                        "transport": {"protocol": "http", "dial_timeout": "1s"},
                                    }
                                ]
                            }
                        ],
                        "errors": {
                            "routes": [
                                {
                                    "handle": [
                                        {
                                            "handler": "static_response",
                                            "status_code": "{http.error.status_code}",
                                            "body": PROBE_ERROR,
                                            "headers": {
                                                "Content-Type": ["text/plain; charset=utf-8"]
                                            },
                                        }
                                    ]
                                }
                            ]
                        },
                    },
                },
            }
        },
    }


def test_ssl_route_gets_https_server_and_issuer() -> None:
    route = AppRoute("demo-web", upstreams=("u:80",), hosts=("app.test",), ssl=True)
    config = caddy_config([route], ProxySettings(tls_issuer="internal"))
    servers = config["apps"]["http"]["servers"]
    assert servers["https"]["listen"] == [":443"]
    assert [r.get("@id") for r in servers["https"]["routes"]] == ["dockyard-demo-web", None]
    # redirected to https: the http server carries no route for it, and no catch-all that
    # would shadow the redirects Caddy appends there
    assert servers["http"]["routes"] == []
    assert config["apps"]["tls"] == {
        "automation": {
            "policies": [{"subjects": ["app.test"], "issuers": [{"module": "internal"}]}]
        }
    }


def test_ssl_without_redirect_is_also_served_over_http() -> None:
    route = AppRoute(
        "demo-web", upstreams=("u:80",), hosts=("a.test",), ssl=True, ssl_redirect=False
    )
    servers = caddy_config([route])["apps"]["http"]["servers"]
    assert [r.get("@id") for r in servers["http"]["routes"]] == ["dockyard-demo-web"]


def test_custom_certificate_is_loaded_and_not_managed() -> None:
    route = AppRoute(
        "demo-web",
        upstreams=("u:80",),
        hosts=("a.test",),
        ssl=True,
        certificate=("/c/a.pem", "/c/a.key"),
    )
    config = caddy_config([route])
    assert config["apps"]["tls"] == {
        "certificates": {
            "load_files": [
                {"certificate": "/c/a.pem", "key": "/c/a.key", "tags": ["dockyard-demo-web"]}
            ]
        }
    }
    assert config["apps"]["http"]["servers"]["https"]["automatic_https"] == {
        "skip_certificates": ["a.test"]
    }


def test_route_order_host_first_then_longest_prefix() -> None:
    routes = [
        AppRoute("any", upstreams=("u:1",)),
        AppRoute("web", upstreams=("u:2",), hosts=("a.test",)),
        AppRoute("api", upstreams=("u:3",), hosts=("a.test",), path_prefixes=("/api/",)),
    ]
    server = caddy_config(routes)["apps"]["http"]["servers"]["http"]
    assert [r.get("@id") for r in server["routes"]] == [
        "dockyard-api",
        "dockyard-web",
        "dockyard-any",
        None,
    ]
    assert server["routes"][0]["match"] == [{"host": ["a.test"], "path": ["/api*"]}]


def test_body_limit_buffering_logging_and_maintenance() -> None:
    route = AppRoute(
        "w",
        upstreams=("u:80",),
        hosts=("a.test",),
        max_request_body=1000,
        buffer_responses=False,
        log_requests=False,
    )
    server = caddy_config([route])["apps"]["http"]["servers"]["http"]
    handlers = server["routes"][0]["handle"]
    assert handlers[0] == {"handler": "request_body", "max_size": 1000}
    assert handlers[1]["flush_interval"] == -1
    assert handlers[1]["request_buffers"] == 1000
    assert server["logs"] == {"skip_hosts": ["a.test"]}
    paused = AppRoute("w", upstreams=("u:80",), maintenance=Maintenance(body="brb"))
    handle = caddy_config([paused])["apps"]["http"]["servers"]["http"]["routes"][0]["handle"]
    assert [h["handler"] for h in handle] == ["static_response"]
    assert handle[0]["status_code"] == 503


def test_route_state_round_trips_through_json() -> None:
    route = AppRoute(
        "w",
        upstreams=("u:80",),
        hosts=("a.test",),
        path_prefixes=("/x",),
        certificate=("c", "k"),
        maintenance=Maintenance(body="brb"),
    )
    assert AppRoute.from_json(route.to_json()) == route
    assert AppRoute.from_json(AppRoute("v", upstreams=("u:1",)).to_json()) == AppRoute(
        "v", upstreams=("u:1",)
    )
