"""Config keys shown by what they change in the plans and commands (tests/unit/config/
test_every_key.py names these tests as the proof that each key is honoured)."""

from __future__ import annotations

from dockyard.commands import accessory as accessory_commands
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.engine import DOCKER, PODMAN
from dockyard.plan.accessory import accessory_proxy
from dockyard.plan.from_config import deploy_plan, proxy_container
from dockyard.redaction import Secret
from dockyard.workflows.accessories.context import AccessoryContext

BASE = """
service: shop
image: team/shop
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
"""


def config(text: str) -> Config:
    return parse_config([("config/deploy.yml", BASE + text)], version="v3")


def test_role_settings_reach_the_app_container() -> None:
    c = config(
        """
servers:
  web:
    hosts: [10.0.0.1]
    labels: {team: web}
    options: {memory: 512m, restart: on-failure}
    logging: {options: {max-size: 5m}}
    env: {clear: {ROLE_ONLY: "1"}}
    stop_timeout: 17
labels: {tier: front}
volumes: ["/data:/data"]
logging: {driver: json-file, options: {max-file: "3"}}
readiness_delay: 4
deploy_timeout: 11
drain_timeout: 6
"""
    )
    boot = deploy_plan(c, {}).groups[0][0].roles[0]
    container = boot.container
    assert container.labels == {
        "service": "shop", "role": "web", "destination": "", "tier": "front", "team": "web"
    }  # fmt: skip
    assert container.volumes == ("/data:/data",)
    assert list(container.options) == ["--memory", "512m"] and container.restart == "on-failure"
    assert list(container.log_options) == [
        "--log-driver", "json-file", "--log-opt", "max-file=3", "--log-opt", "max-size=5m"
    ]  # fmt: skip
    assert container.env["ROLE_ONLY"] == "1"
    assert (boot.stop_timeout, boot.readiness_delay) == (17, 4)
    assert (boot.deploy_timeout, boot.drain_timeout) == (11, 6)


def test_root_stop_timeout_and_its_defaults() -> None:
    c = config("servers: {web: [10.0.0.1], jobs: [10.0.0.2]}\nstop_timeout: 21\n")
    boots = {b.role: b for g in deploy_plan(c, {}).groups for h in g for b in h.roles}
    assert (boots["web"].stop_timeout, boots["jobs"].stop_timeout) == (21, 21)
    c = config("servers: {web: [10.0.0.1], jobs: [10.0.0.2]}\ndrain_timeout: 8\n")
    boots = {b.role: b for g in deploy_plan(c, {}).groups for h in g for b in h.roles}
    assert (boots["web"].stop_timeout, boots["jobs"].stop_timeout) == (10, 8)


def test_proxy_settings_reach_the_route_and_the_health_check() -> None:
    c = config(
        """
servers:
  web: [10.0.0.1]
  api:
    hosts: [10.0.0.2]
    proxy: {host: api.shop.test, path_prefixes: [/v1, /v2], strip_path_prefix: false}
proxy:
  host: shop.test,www.shop.test
  app_port: 3000
  ssl: true
  ssl_redirect: false
  forward_headers: true
  response_timeout: 45
  healthcheck: {path: /health, interval: 3, timeout: 4}
  buffering: {requests: true, responses: false, max_request_body: 2048}
"""
    )
    boots = {b.role: b for g in deploy_plan(c, {}).groups for h in g for b in h.roles}
    web = boots["web"].route
    assert web is not None
    assert (web.hosts, web.port, web.ssl, web.ssl_redirect) == (
        ("shop.test", "www.shop.test"), 3000, True, False,
    )  # fmt: skip
    assert (web.forward_headers, web.response_timeout) == (True, 45)
    assert (web.buffer_requests, web.buffer_responses, web.max_request_body) == (True, False, 2048)
    health = boots["web"].health
    assert (health.path, health.interval, health.timeout) == ("/health", 3, 4)
    api = boots["api"].route  # the role's proxy merged over the root one
    assert api is not None
    assert (api.hosts, api.path_prefixes, api.strip_path_prefix, api.port) == (
        ("api.shop.test",), ("/v1", "/v2"), False, 3000,
    )  # fmt: skip
    c = config("servers: [10.0.0.1]\nproxy: {host: shop.test, path_prefix: /app}\n")
    route = deploy_plan(c, {}).groups[0][0].roles[0].route
    assert route is not None and route.path_prefixes == ("/app",)


def test_proxy_run_and_x_dockyard_proxy_reach_the_proxy_container() -> None:
    c = config(
        """
servers: [10.0.0.1]
proxy:
  host: shop.test
  run:
    http_port: 8080
    https_port: 8443
    bind_ips: [127.0.0.1]
    log_max_size: 20m
    options: {cpus: 1}
x-dockyard:
  proxy: {image: "registry.lab:5000/caddy:2.11", tls_issuer: internal, acme_email: ops@shop.test}
retain_containers: 2
hooks_path: deploy/hooks
boot: {parallel_roles: true}
"""
    )
    plan = deploy_plan(c, {})
    proxy = plan.proxy_containers["10.0.0.1"]
    assert proxy.image == "registry.lab:5000/caddy:2.11"
    assert proxy.publish == (
        "127.0.0.1:8080:80", "127.0.0.1:8443:443", "127.0.0.1:8443:443/udp"
    )  # fmt: skip
    assert (list(proxy.options), proxy.log_max_size) == (["--cpus", "1"], "20m")
    settings = plan.proxy_settings
    assert (settings.tls_issuer, settings.acme_email) == ("internal", "ops@shop.test")
    assert plan.retain_containers == 2 and plan.parallel_roles
    assert plan.hooks_path == "./deploy/hooks"
    c = config("servers: [10.0.0.1]\nproxy: {host: shop.test, run: {publish: false}}\n")
    assert deploy_plan(c, {}).proxy_containers["10.0.0.1"].publish == ()


def test_a_proxied_accessory_alone_sets_how_the_proxy_runs() -> None:
    c = config(
        """
accessories:
  grafana:
    image: grafana:11
    host: 10.0.0.1
    proxy: {hosts: [grafana.test, g.test], run: {http_port: 8081, https_port: 8444}}
"""
    )
    assert proxy_container(c, "10.0.0.1").publish[:2] == ("8081:80", "8444:443")
    proxied = accessory_proxy(c, c.accessory("grafana"), {})
    assert proxied is not None and proxied.route.hosts == ("grafana.test", "g.test")


def test_each_host_runs_its_proxy_as_the_roles_on_it_say() -> None:
    c = config(
        """
servers:
  web:
    hosts: [10.0.0.1]
    proxy: {host: shop.test, run: {http_port: 8080, https_port: 8443}}
  admin:
    hosts: [10.0.0.2]
    proxy: {host: admin.test, run: {http_port: 9080, https_port: 9443, log_max_size: 5m}}
"""
    )
    proxies = deploy_plan(c, {}).proxy_containers
    assert proxies["10.0.0.1"].publish[:2] == ("8080:80", "8443:443")
    assert proxies["10.0.0.2"].publish[:2] == ("9080:80", "9443:443")
    assert (proxies["10.0.0.1"].log_max_size, proxies["10.0.0.2"].log_max_size) == ("10m", "5m")


def test_the_runtime_picks_the_engine_of_every_plan() -> None:
    assert deploy_plan(config("servers: [10.0.0.1]\n"), {}).engine is DOCKER
    podman = config("servers: [10.0.0.1]\nx-dockyard: {runtime: podman}\n")
    assert deploy_plan(podman, {}).engine is PODMAN


def test_accessory_settings_reach_its_container() -> None:
    c = config(
        """
servers: {web: [10.0.0.1], jobs: {hosts: [10.0.0.2: [batch]]}}
accessories:
  db:
    service: shop-postgres
    image: postgres:15
    registry: {server: mirror.lab, username: u, password: [MIRROR_PASSWORD]}
    host: 10.0.0.1
    cmd: postgres -c 'max_connections=50'
    port: "127.0.0.1:5432:5432"
    labels: {backup: nightly}
    options: {shm-size: 256m}
    env: {clear: {POSTGRES_DB: shop}, secret: [POSTGRES_PASSWORD]}
    files: ["db/init.sql:/docker-entrypoint-initdb.d/init.sql"]
    directories: ["data:/var/lib/postgresql/data"]
    volumes: ["/backups:/backups"]
    network: private
  cache: {image: redis:7, roles: [jobs]}
  queue: {image: redis:7, tags: [batch]}
  search: {image: opensearch:2, hosts: [10.0.0.2]}
  mail: {image: mailpit:1, role: web}
  metrics: {image: prom:2, tag: batch}
"""
    )
    db = c.accessory("db")
    ctx = AccessoryContext(c, db, {"POSTGRES_PASSWORD": Secret("pw")})
    line = accessory_commands.run(DOCKER, ctx.run_spec("10.0.0.1")).render()
    for part in (
        "--name shop-postgres", "--network private", "--publish 127.0.0.1:5432:5432",
        "--env POSTGRES_DB=shop", "--label backup=nightly", "--shm-size 256m",
        "/docker-entrypoint-initdb.d/init.sql", ":/var/lib/postgresql/data",
        "--volume /backups:/backups", "mirror.lab/postgres:15 postgres -c max_connections=50",
    ):  # fmt: skip
        assert part in line, part
    assert "pw" not in line and ctx.secret_env() == {"POSTGRES_PASSWORD": "pw"}
    hosts = {a.name: a.hosts for a in c.accessories}
    assert hosts == {
        "db": ("10.0.0.1",), "cache": ("10.0.0.2",), "queue": ("10.0.0.2",),
        "search": ("10.0.0.2",), "mail": ("10.0.0.1",), "metrics": ("10.0.0.2",),
    }  # fmt: skip
    assert "MIRROR_PASSWORD" in c.secret_names
