"""x-dockyard: {backend: swarm, swarm: {...}}: defaults, every key, and each rejection located by
its key path (config/swarm.py)."""

from __future__ import annotations

import pytest

from dockyard.config.swarm import Swarm, SwarmRole

from .conftest import BASE, error_of, parse

ROLES = BASE + "servers:\n  web: [a, b, c]\n  jobs: {hosts: [a], cmd: bin/jobs}\n"


def test_without_a_backend_the_app_deploys_over_ssh_with_swarm_defaults() -> None:
    config = parse(ROLES)
    assert config.dockyard.backend == "ssh"
    assert config.dockyard.swarm == Swarm()
    assert config.swarm_network == "app-swarm"
    assert config.stack_name == "app"


def test_every_key() -> None:
    config = parse(
        ROLES + "x-dockyard:\n  backend: swarm\n  swarm:\n    network: shop-net\n"
        "    monitor: 7\n    roles:\n      web:\n        replicas: 6\n"
        "        placement: [node.labels.zone==a, 'node.role != worker']\n"
        "        parallelism: 2\n"
    )
    swarm = config.dockyard.swarm
    assert config.dockyard.backend == "swarm"
    assert config.swarm_network == "shop-net"
    assert swarm.monitor == 7
    assert swarm.role("web") == SwarmRole(
        replicas=6, placement=("node.labels.zone==a", "node.role != worker"), parallelism=2
    )
    assert swarm.role("jobs") == SwarmRole(replicas=None, placement=(), parallelism=1)


def test_a_destination_names_the_stack_and_the_network() -> None:
    config = parse(ROLES + "x-dockyard: {backend: swarm}\n", destination="prod", extra="{}\n")
    assert (config.stack_name, config.swarm_network) == ("app-prod", "app-prod-swarm")


SWARM = ROLES + "x-dockyard:\n  backend: swarm\n  swarm:\n"
CASES = [
    (ROLES + "x-dockyard: {backend: k8s}\n", "x-dockyard/backend", "ssh or swarm"),
    (ROLES + "x-dockyard: {backend: swarm, runtime: podman}\n", "x-dockyard/backend",
     "backend: swarm needs runtime: docker (podman has no Swarm)"),
    (SWARM + "    monitor: 0\n", "x-dockyard/swarm/monitor", "at least 1 second"),
    (SWARM + "    monitor: soon\n", "x-dockyard/swarm/monitor", "whole number"),
    (SWARM + "    network: 'a b'\n", "x-dockyard/swarm/network", "the container engine's rule"),
    (SWARM + "    replicas: 3\n", "x-dockyard/swarm", "replicas"),
    (SWARM + "    roles: [web]\n", "x-dockyard/swarm/roles", "map of role names"),
    (SWARM + "    roles: {api: {replicas: 1}}\n", "x-dockyard/swarm/roles/api",
     "no role named api (roles: jobs, web)"),
    (SWARM + "    roles: {web: 3}\n", "x-dockyard/swarm/roles/web", "should be a map"),
    (SWARM + "    roles: {web: {scale: 3}}\n", "x-dockyard/swarm/roles/web", "unknown key: scale"),
    (SWARM + "    roles: {web: {replicas: -1}}\n", "x-dockyard/swarm/roles/web/replicas",
     "at least 0, not -1"),
    (SWARM + "    roles: {web: {replicas: true}}\n", "x-dockyard/swarm/roles/web/replicas",
     "whole number"),
    (SWARM + "    roles: {web: {parallelism: 0}}\n", "x-dockyard/swarm/roles/web/parallelism",
     "at least 1"),
    (SWARM + "    roles: {web: {placement: zone}}\n", "x-dockyard/swarm/roles/web/placement",
     "list of constraints"),
    (SWARM + "    roles: {web: {placement: ['zone=a']}}\n",
     "x-dockyard/swarm/roles/web/placement", "list of constraints"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "message"), CASES, ids=[c[2] for c in CASES])
def test_rejection(text: str, key: str, message: str) -> None:
    error = error_of(text)
    assert error.key == key
    assert message in error.message
    assert "\n" not in str(error)


def test_a_plain_host_list_is_the_web_role() -> None:
    config = parse(BASE + "servers: [a]\nx-dockyard: {swarm: {roles: {web: {replicas: 2}}}}\n")
    assert config.dockyard.swarm.role("web").replicas == 2
