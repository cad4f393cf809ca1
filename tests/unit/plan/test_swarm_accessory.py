"""An accessory as a Swarm service (plan/swarm_accessory.py): the exact stack file (pinned to
its host's node, stop-first, its mounts from that host, its Kamal name on the overlay, its env a
secret), and what a pinned service cannot be refused before anything changes."""

from __future__ import annotations

import pytest

from dockyard.commands.swarm_stack import stack_file
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.errors import ConfigError
from dockyard.facts.swarm import ImageCommand
from dockyard.plan.swarm_accessory import AccessoryNode, accessory_stack, on_swarm

BASE = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: [10.0.0.1]
x-dockyard: {backend: swarm}
accessories:
  db:
    image: postgres:15
    host: 10.0.0.2
    port: "5433:5432"
    env: {clear: {POSTGRES_USER: demo}, secret: [POSTGRES_PASSWORD]}
    files: ["db/init.sql:/docker-entrypoint-initdb.d/init.sql"]
    directories: ["data:/var/lib/postgresql/data", "/srv/pg:/srv/pg:ro"]
    volumes: ["pgsock:/run/postgresql"]
"""
IMAGE = ImageCommand(entrypoint=("docker-entrypoint.sh",), cmd=("postgres",))
NODE = AccessoryNode("n0de2", "/home/deploy")
SECRETS = {"POSTGRES_PASSWORD": "pw; it's"}


def config(text: str = BASE) -> Config:
    return parse_config([("config/deploy.yml", text)], version="v2")


def test_the_stack_file_of_an_accessory() -> None:
    c = config()
    stack = accessory_stack(c, c.accessory("db"), SECRETS, IMAGE, NODE)
    assert stack.name == "demo-db"
    secret = stack.spec.services[0].env_secret
    assert secret.startswith("demo-db_db_env_")
    assert (
        stack_file(stack.spec)
        == f"""\
version: '3.8'
services:
  db:
    image: postgres:15
    entrypoint:
    - /bin/sh
    - -c
    - set -a; . /run/secrets/env; set +a; exec "$$0" "$$@"
    command:
    - docker-entrypoint.sh
    - postgres
    secrets:
    - source: {secret}
      target: /run/secrets/env
      mode: 256
    networks:
      demo-swarm:
        aliases:
        - demo-db
    stop_grace_period: 10s
    deploy:
      mode: replicated
      replicas: 1
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 0s
        order: stop-first
        monitor: 5s
        failure_action: rollback
      rollback_config:
        parallelism: 1
        delay: 0s
        order: stop-first
        monitor: 5s
        failure_action: pause
      restart_policy:
        condition: any
        delay: 1s
      labels:
        dockyard.role: db
      placement:
        constraints:
        - node.id==n0de2
    labels:
      service: demo-db
    volumes:
    - /home/deploy/demo-db/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql
    - /home/deploy/demo-db/data:/var/lib/postgresql/data
    - /srv/pg:/srv/pg:ro
    - pgsock:/run/postgresql
    ports:
    - target: 5432
      published: 5433
      protocol: tcp
      mode: host
    logging:
      options:
        max-size: 10m
networks:
  demo-swarm:
    external: true
volumes:
  pgsock:
    name: pgsock
secrets:
  {secret}:
    name: {secret}
    file: db.env
"""
    )
    env = stack.env_files["db.env"]
    assert str(env) == (
        "POSTGRES_USER=demo\nKAMAL_HOST=10.0.0.2\nPOSTGRES_PASSWORD='pw; it'\"'\"'s'\n"
    )
    assert "pw; it" not in stack_file(stack.spec)


def test_on_the_swarm_the_accessory_is_on_the_apps_overlay() -> None:
    c = config()
    assert on_swarm(c, c.accessory("db")).network == "demo-swarm"


@pytest.mark.parametrize(
    ("before", "after", "key", "said"),
    [
        ("    host: 10.0.0.2\n", "    hosts: [10.0.0.2, 10.0.0.3]\n", "accessories/db/hosts",
         "one service pinned to one host, and it has 2"),
        ('    port: "5433:5432"\n', '    port: "127.0.0.1:5433:5432"\n', "accessories/db/port",
         "publishes a port on every address of its host"),
        ("    image: postgres:15\n", "    image: postgres:15\n    options: {memory: 1g}\n",
         "accessories/db/options", "`options` is not given to a Swarm service yet"),
    ],
)  # fmt: skip
def test_what_a_pinned_service_cannot_be_is_refused(
    before: str, after: str, key: str, said: str
) -> None:
    c = config(BASE.replace(before, after))
    with pytest.raises(ConfigError) as caught:
        accessory_stack(c, c.accessory("db"), SECRETS, IMAGE, NODE)
    assert caught.value.key == key
    assert said in caught.value.message
