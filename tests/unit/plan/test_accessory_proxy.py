"""The proxy's part of a proxied accessory: its route (fixed upstream, no slots), health check,
certificate, and the name that never takes an app's route."""

from __future__ import annotations

import pytest

from dockyard.commands.caddy_config import caddy_config
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.errors import ConfigError
from dockyard.plan.accessory import accessory_proxy, route_name
from dockyard.plan.from_config import deploy_plan
from dockyard.workflows.accessories.lifecycle import secret_names

BASE = """
service: shop
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1]
proxy: {host: shop.test, app_port: 3000}
deploy_timeout: 12
drain_timeout: 9
accessories:
  web:
    image: grafana:11
    host: 10.0.0.1
    proxy:
      host: grafana.shop.test
      app_port: 3001
      path_prefix: /admin
      response_timeout: 40
      healthcheck: {path: /api/health, interval: 2, timeout: 3}
  db:
    image: postgres:15
    host: 10.0.0.1
"""


def config(extra: str = "") -> Config:
    return parse_config([("config/deploy.yml", BASE + extra)], version="v2")


def test_a_proxied_accessory_dials_its_container_by_name_with_its_own_settings() -> None:
    c = config()
    proxied = accessory_proxy(c, c.accessory("web"), {})
    assert proxied is not None
    route = proxied.route
    assert route.name == "accessory:shop-web"
    assert route.upstreams == ("shop-web:3001",)  # its container on the kamal network
    assert route.hosts == ("grafana.shop.test",) and route.path_prefixes == ("/admin",)
    assert route.port == 3001 and route.response_timeout == 40 and route.drain_timeout == 9
    assert (proxied.container, proxied.app_port, proxied.timeout) == ("shop-web", 3001, 12.0)
    assert (proxied.health.path, proxied.health.interval, proxied.health.timeout) == (
        "/api/health", 2, 3,
    )  # fmt: skip
    assert proxied.certificate_pem is None and proxied.certificate_path == ""


def test_an_accessory_without_proxy_has_no_route() -> None:
    c = config()
    assert accessory_proxy(c, c.accessory("db"), {}) is None


def test_its_route_never_takes_the_app_route_of_a_role_with_its_name() -> None:
    """Service shop, role web and accessory web: the app route and the accessory's container
    are both `shop-web`; the routes differ and Caddy serves both."""
    c = config()
    app_route = deploy_plan(c, {}).groups[0][0].roles[0].route
    assert app_route is not None and app_route.name == "shop-web"
    accessory_route = route_name(c.accessory("web"))
    assert accessory_route != app_route.name
    proxied = accessory_proxy(c, c.accessory("web"), {})
    assert proxied is not None
    servers = caddy_config([app_route, proxied.route])["apps"]["http"]["servers"]["http"]
    ids = [r.get("@id") for r in servers["routes"]]
    assert ids == ["dockyard-accessory:shop-web", "dockyard-shop-web", None]  # None: the 404
    accessory_handlers = servers["routes"][0]["handle"]
    proxy = accessory_handlers[-1]
    assert proxy["handler"] == "reverse_proxy"  # no live-file subroute: one fixed upstream
    assert proxy["upstreams"] == [{"dial": "shop-web:3001"}]


def test_a_proxied_accessory_off_the_kamal_network_is_a_config_error() -> None:
    raw = BASE.replace("    image: grafana:11\n", "    image: grafana:11\n    network: other\n")
    cfg = parse_config([("config/deploy.yml", raw)], version="v2")
    with pytest.raises(ConfigError) as raised:
        accessory_proxy(cfg, cfg.accessory("web"), {})
    assert str(raised.value) == (
        "accessories/web/network: a proxied accessory must be on the kamal network, where the "
        "proxy is (it is on other); remove `network` or the accessory's `proxy`"
    )


def test_a_custom_certificate_is_one_bundle_under_the_route_name() -> None:
    raw = BASE.replace(
        "      path_prefix: /admin\n",
        "      path_prefix: /admin\n"
        "      ssl: {certificate_pem: CERT_PEM, private_key_pem: KEY_PEM}\n",
    )
    cfg = parse_config([("config/deploy.yml", raw)], version="v2")
    accessory = cfg.accessory("web")
    assert secret_names(cfg, ["web"]) == ("CERT_PEM", "KEY_PEM")
    proxied = accessory_proxy(cfg, accessory, {"CERT_PEM": "CERT\n", "KEY_PEM": "KEY\n"})
    assert proxied is not None
    assert proxied.certificate_pem == "CERT\nKEY\n"
    assert proxied.certificate_path == ".dockyard/proxy/certs/accessory:shop-web.pem"
    inside = "/dockyard/certs/accessory:shop-web.pem"
    assert proxied.route.certificate == (inside, inside) and proxied.route.ssl
