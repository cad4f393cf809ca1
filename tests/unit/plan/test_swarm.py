"""The Swarm stack from a config (plan/swarm.py, commands/swarm_stack.py): the exact stack file,
the env kept out of the spec, and what each x-dockyard/swarm key changes."""

from __future__ import annotations

import hashlib

import pytest

from dockyard.commands.edge_acme import OWNER
from dockyard.commands.edge_config import edge_config
from dockyard.commands.swarm_stack import stack_file
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.errors import ConfigError
from dockyard.facts.swarm import ImageCommand
from dockyard.plan.balancer import as_acme_role, edge_settings
from dockyard.plan.edge_tls import certificate_secret_names, edge_certificates
from dockyard.plan.swarm import edge_hosts, edge_sites, swarm_stack

BASE = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1, 10.0.0.2, 10.0.0.3]
  worker: {hosts: [10.0.0.3], cmd: "bin/work --queue 'high prio' --cost $5"}
proxy: {host: demo.test, app_port: 3000, healthcheck: {path: /health, interval: 2, timeout: 3}}
env: {clear: {A: "it's 1"}, secret: [SECRET_KEY]}
stop_timeout: 20
x-dockyard:
  backend: swarm
"""
IMAGE = ImageCommand(entrypoint=("/bin/tini", "--"), cmd=("httpd", "-f"))
SECRETS = {"SECRET_KEY": "s3cret; rm -rf /", "REGISTRY_PASSWORD": "pw"}


def config(extra: str = "") -> Config:
    return parse_config([("config/deploy.yml", BASE + extra)], version="v2")


def test_the_stack_file_of_a_config() -> None:
    stack = swarm_stack(config(), SECRETS, IMAGE)
    assert stack.name == "demo"
    web, worker = (s.env_secret for s in stack.spec.services)
    assert (
        stack_file(stack.spec)
        == f"""\
version: '3.8'
services:
  web:
    image: registry.lab:5000/demo:v2
    entrypoint:
    - /bin/sh
    - -c
    - set -a; . /run/secrets/env; set +a; exec "$$0" "$$@"
    command:
    - /bin/tini
    - --
    - httpd
    - -f
    secrets:
    - source: {web}
      target: /run/secrets/env
      mode: 256
    networks:
    - demo-swarm
    stop_grace_period: 20s
    deploy:
      mode: replicated
      replicas: 3
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 0s
        order: start-first
        monitor: 5s
        failure_action: rollback
      rollback_config:
        parallelism: 1
        delay: 0s
        order: start-first
        monitor: 5s
        failure_action: pause
      restart_policy:
        condition: any
        delay: 1s
      labels:
        dockyard.role: web
    healthcheck:
      test:
      - CMD-SHELL
      - wget -q -O /dev/null http://127.0.0.1:3000/health || curl -fsS -o /dev/null http://127.0.0.1:3000/health
      interval: 2s
      timeout: 3s
      retries: 3
      start_period: 30s
    labels:
      service: demo
      role: web
      destination: ''
    logging:
      options:
        max-size: 10m
  worker:
    image: registry.lab:5000/demo:v2
    entrypoint:
    - /bin/sh
    - -c
    - set -a; . /run/secrets/env; set +a; exec "$$0" "$$@"
    command:
    - /bin/tini
    - --
    - bin/work
    - --queue
    - high prio
    - --cost
    - $$5
    secrets:
    - source: {worker}
      target: /run/secrets/env
      mode: 256
    networks:
    - demo-swarm
    stop_grace_period: 20s
    deploy:
      mode: replicated
      replicas: 1
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 0s
        order: start-first
        monitor: 5s
        failure_action: rollback
      rollback_config:
        parallelism: 1
        delay: 0s
        order: start-first
        monitor: 5s
        failure_action: pause
      restart_policy:
        condition: any
        delay: 1s
      labels:
        dockyard.role: worker
    labels:
      service: demo
      role: worker
      destination: ''
    logging:
      options:
        max-size: 10m
networks:
  demo-swarm:
    external: true
secrets:
  {web}:
    name: {web}
    file: web.env
  {worker}:
    name: {worker}
    file: worker.env
"""
    )
    assert web.startswith("demo_web_env_") and len(web) == len("demo_web_env_") + 12


def test_the_env_is_a_quoted_file_held_as_a_secret_never_in_the_spec() -> None:
    stack = swarm_stack(config(), SECRETS, IMAGE)
    assert stack.env_files["web.env"] == (
        "KAMAL_VERSION=v2\nA='it'\"'\"'s 1'\nSECRET_KEY='s3cret; rm -rf /'\n"
    )
    assert repr(stack.env_files["web.env"]) == "Secret('[REDACTED]')"
    assert "s3cret" not in stack_file(stack.spec)


def test_a_new_env_is_a_new_secret_and_the_same_env_the_same() -> None:
    first = swarm_stack(config(), SECRETS, IMAGE).spec.services[0].env_secret
    again = swarm_stack(config(), SECRETS, IMAGE).spec.services[0].env_secret
    changed = swarm_stack(config(), {**SECRETS, "SECRET_KEY": "new"}, IMAGE)
    assert first == again != changed.spec.services[0].env_secret


def test_swarm_settings_reach_the_services() -> None:
    extra = (
        "  swarm:\n    network: shop-net\n    monitor: 9\n    roles:\n"
        "      web: {replicas: 6, placement: [node.labels.zone==a], parallelism: 2}\n"
    )
    spec = swarm_stack(config(extra), SECRETS, IMAGE).spec
    web = spec.services[0]
    assert spec.network == "shop-net"
    assert (web.replicas, web.placement, web.update_parallelism, web.monitor) == (
        6, ("node.labels.zone==a",), 2, 9)  # fmt: skip
    text = stack_file(spec)
    assert "      placement:\n        constraints:\n        - node.labels.zone==a\n" in text
    assert "        parallelism: 2\n" in text and "        monitor: 9s\n" in text


def test_run_options_are_refused_rather_than_dropped() -> None:
    text = BASE.replace("  web: [10.0.0.1, 10.0.0.2, 10.0.0.3]",
                        "  web: {hosts: [10.0.0.1], options: {memory: 1g}}")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        swarm_stack(parse_config([("config/deploy.yml", text)], version="v2"), SECRETS, IMAGE)
    assert caught.value.key == "servers/web/options"
    assert "not given to Swarm services" in caught.value.message


def test_the_edges_in_front_of_the_swarm_route_each_proxied_role_to_its_tasks() -> None:
    (site,) = edge_sites(config())
    assert (site.name, site.hosts, site.tasks) == (
        "demo-web",
        ("demo.test",),
        ("tasks.demo_web", 3000),
    )
    assert (site.upstreams, site.try_duration) == ((), 5)
    assert edge_hosts(config()) == ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    balanced = config("  load_balancer: {hosts: [10.0.0.9], try_duration: 8}\n")
    assert edge_hosts(balanced) == ("10.0.0.9",)
    assert edge_sites(balanced)[0].try_duration == 8


def test_what_the_edges_do_not_do_yet_is_refused() -> None:
    yaml = BASE.replace("proxy: {host: demo.test,", "proxy: {host: demo.test, path_prefix: /api,")
    with pytest.raises(
        ConfigError, match="web: the swarm's edges pass the path as it came"
    ) as caught:
        edge_sites(parse_config([("config/deploy.yml", yaml)], version="v2"))
    assert caught.value.key == "proxy/strip_path_prefix"


SSL = BASE.replace("proxy: {host: demo.test,", "proxy: {host: demo.test, ssl: true,")
ACME = "  load_balancer: {hosts: [10.0.0.1, 10.0.0.2], acme_ca: 'https://ca.test/dir', " \
    "acme_ca_root: CA_ROOT, renew_interval: 30}\n"  # fmt: skip


CERTIFICATES_PATTERN = r"^/\.well-known/dockyard-edge/certificates/[^/]+/[^/]+/[^/]+\.(crt|json)$"


def test_the_swarms_edges_get_one_certificate_by_acme_as_the_load_balancers_do() -> None:
    """The first edge orders (the load balancer's ACME config: commands/edge_acme.py), passes
    the challenges it cannot answer to the other edge, and serves the tasks over HTTPS; plain
    HTTP has the challenge routes only, so Caddy redirects the rest to HTTPS."""
    acme = parse_config([("config/deploy.yml", SSL + ACME)], version="v2")
    (site,) = edge_sites(acme)
    assert (site.acme, site.certificate, site.tasks) == (True, "", ("tasks.demo_web", 3000))
    owner = edge_config([site], as_acme_role(edge_settings(acme), OWNER, "10.0.0.2"))
    servers = owner["apps"]["http"]["servers"]
    plain = [(r["@id"], r["match"], r["handle"][0].get("upstreams"))
             for r in servers["edge"]["routes"]]  # fmt: skip
    challenge = "/.well-known/acme-challenge/*"
    certificates = [{"path_regexp": {"pattern": CERTIFICATES_PATTERN}}]
    assert plain == [
        ("dockyard-edge-certificates", certificates, None),  # for the other edge's mover
        ("dockyard-edge-acme-passed", [{"host": ["demo.test"], "path": [challenge],
                                        "header": {"X-Dockyard-Edge-Passed": ["1"]}}], None),
        ("dockyard-edge-acme-challenges", [{"host": ["demo.test"], "path": [challenge]}],
         [{"dial": "10.0.0.2:80"}]),
    ]  # fmt: skip
    tls_route = servers["edge-tls"]["routes"][0]
    assert (tls_route["@id"], tls_route["match"], servers["edge-tls"]["listen"]) == (
        "dockyard-edge-demo-web-tls", [{"host": ["demo.test"]}], [":443"]
    )  # fmt: skip
    assert tls_route["handle"][0]["dynamic_upstreams"] == {
        "source": "a", "name": "tasks.demo_web", "port": "3000", "refresh": "1s"
    }  # fmt: skip
    assert owner["apps"]["tls"] == {
        "automation": {
            "renew_interval": "30s",
            "policies": [{
                "subjects": ["demo.test"],
                "issuers": [{"module": "acme", "ca": "https://ca.test/dir",
                             "trusted_roots_pem_files": ["/dockyard/certs/acme-ca-root.pem"],
                             "challenges": {"tls-alpn": {"disabled": True}}}],
                "renewal_window_ratio": 0.34,
                "reuse_private_keys": True,
            }],
        }
    }  # fmt: skip
    assert owner["storage"] == {"module": "file_system", "root": "/dockyard/acme"}
    assert certificate_secret_names(acme) == ["CA_ROOT"]


def test_the_swarms_edges_serve_a_custom_certificate_from_the_secrets() -> None:
    """Without a load_balancer key: the edges on the web hosts, the bundle's digest in the
    config (a new certificate is a changed config), the secrets read for the deploy."""
    custom = SSL.replace("ssl: true", "ssl: {certificate_pem: CERT, private_key_pem: KEY}")
    settings = parse_config([("config/deploy.yml", custom)], version="v2")
    assert certificate_secret_names(settings) == ["CERT", "KEY"]
    bundles = edge_certificates(settings, {"CERT": "-----CERT-----\n", "KEY": "-----KEY-----"})
    assert bundles == {"demo-web": "-----CERT-----\n-----KEY-----\n"}
    (site,) = edge_sites(settings, bundles)
    digest = hashlib.sha256(b"-----CERT-----\n-----KEY-----\n").hexdigest()
    assert (site.acme, site.certificate, site.ssl_redirect) == (False, digest, True)
    assert edge_settings(settings).acme is None
    assert certificate_secret_names(config()) == []


def test_acme_on_more_than_two_edges_is_refused_naming_the_hosts_key() -> None:
    """The edges pass challenges to one peer: a third edge's order could not be validated.
    Two web hosts (two edges) need no load_balancer key."""
    with pytest.raises(ConfigError) as caught:
        parse_config([("config/deploy.yml", SSL)], version="v2")
    assert str(caught.value) == (
        "config/deploy.yml:9: proxy: ssl: true on a swarm gets one certificate for at most 2 "
        "edges, which run on the web hosts (3) without a load balancer: set "
        "x-dockyard/load_balancer/hosts to one or two of them"
    )
    two = SSL.replace("web: [10.0.0.1, 10.0.0.2, 10.0.0.3]", "web: [10.0.0.1, 10.0.0.2]")
    assert edge_hosts(parse_config([("config/deploy.yml", two)], version="v2")) == (
        "10.0.0.1", "10.0.0.2"
    )  # fmt: skip


def test_a_swarms_edges_on_its_servers_take_ports_80_and_443() -> None:
    """No proxy runs on a swarm's servers: its edges there keep the default ports."""
    assert parse_config([("config/deploy.yml", SSL + ACME)], version="v2").dockyard.load_balancer
    ssh = (SSL + ACME).replace("  backend: swarm\n", "")
    with pytest.raises(ConfigError, match=r"edge 10\.0\.0\.1 is also a server"):
        parse_config([("config/deploy.yml", ssh)], version="v2")
