"""The Swarm stack file of an app, and the env file its services read (pure).

Each role is a service (`<stack>_<role>`): rolling updates start the new task first and roll
back by themselves when it fails (`order: start-first`, `failure_action: rollback`, watched for
`monitor` seconds), the old task gets `stop_grace_period` to finish its requests, and the
service has no virtual IP (`endpoint_mode: dnsrr`): the routing mesh and VIPs need IPVS, which
some kernels lack, so the proxy resolves `tasks.<stack>_<role>` on the overlay network instead.

The env, clear values and secrets alike, never enters the service spec (`docker service
inspect` would show it): it is one Swarm secret per role whose name carries a digest of its
content (a secret cannot change; a new env is a new secret, and so a rolling update). The
service starts through `/bin/sh`, which exports that file and then runs the image's own
command (read from the image when the stack is made), so the image needs a shell.

    services:
      web:
        image: registry.example.com/shop:abc123
        entrypoint: [/bin/sh, -c, 'set -a; . /run/secrets/env; set +a; exec "$0" "$@"']
        command: [bin/server]
        deploy: {replicas: 3, update_config: {order: start-first, failure_action: rollback}}
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from dockyard.redaction import Secret

COMPOSE_VERSION = "3.8"
ENV_TARGET = "/run/secrets/env"  # where a task finds its env file
# exports every assignment of the env file, then runs the image's command ($0 "$@")
ENV_ENTRYPOINT = ("/bin/sh", "-c", f'set -a; . {ENV_TARGET}; set +a; exec "$0" "$@"')
HEALTH_RETRIES = 3


@dataclass(frozen=True)
class HealthSpec:
    """An HTTP check from inside the task: busybox wget, or curl where the image has no wget."""

    port: int
    path: str
    interval: int
    timeout: int
    start_period: int  # seconds a new task may take to answer before failures count


@dataclass(frozen=True)
class ServiceSpec:
    role: str
    image: str
    command: tuple[str, ...]  # the image's entrypoint then its command, or the role's cmd
    replicas: int
    env_secret: str  # the Swarm secret holding the env file (named with its digest)
    env_file: str  # where that file is on the manager when the stack is deployed
    stop_grace_period: int
    update_parallelism: int
    monitor: int
    placement: tuple[str, ...] = ()
    health: HealthSpec | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    log_driver: str | None = None
    log_options: Mapping[str, str] = field(default_factory=dict)
    order: str = "start-first"  # an accessory's is stop-first: one task, its data on one host
    aliases: tuple[str, ...] = ()  # more names on the network (an accessory's: its Kamal name)
    ports: tuple[tuple[int, int], ...] = ()  # (published, target), host mode: no routing mesh


@dataclass(frozen=True)
class StackSpec:
    network: str  # an attachable overlay network made by `dockyard setup` (external here)
    services: tuple[ServiceSpec, ...]


def stack_file(stack: StackSpec) -> str:
    """The stack file `docker stack deploy --compose-file` reads, and `dockyard swarm stack`
    prints (the way out of dockyard: it deploys the same app without it)."""
    document = {
        "version": COMPOSE_VERSION,
        "services": {service.role: _service(service, stack.network) for service in stack.services},
        "networks": {stack.network: {"external": True}},
        **_named_volumes(stack),
        "secrets": {
            service.env_secret: {"name": service.env_secret, "file": service.env_file}
            for service in stack.services
        },
    }
    return yaml.safe_dump(_literal(document), sort_keys=False, default_flow_style=False, width=1000)


def _named_volumes(stack: StackSpec) -> dict[str, Any]:
    """Each named volume under its own name (not prefixed with the stack's), as `docker run
    --volume` names it: the same data whatever the backend."""
    names = [
        volume.split(":", 1)[0]
        for service in stack.services
        for volume in service.volumes
        if ":" in volume and not volume.startswith(("/", ".", "~", "$"))
    ]
    if not names:
        return {}
    return {"volumes": {name: {"name": name} for name in dict.fromkeys(names)}}


def _literal(value: Any) -> Any:
    """Every string as written: `docker stack deploy` reads `$NAME` as a variable of its own
    environment, and `$$` as `$`."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {_literal(key): _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def _service(service: ServiceSpec, network: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "image": service.image,
        "entrypoint": list(ENV_ENTRYPOINT),
        "command": list(service.command),
        "secrets": [{"source": service.env_secret, "target": ENV_TARGET, "mode": 0o400}],
        "networks": {network: {"aliases": list(service.aliases)}} if service.aliases else [network],
        "stop_grace_period": f"{service.stop_grace_period}s",
        "deploy": _deploy(service),
    }
    if service.health is not None:
        found["healthcheck"] = _healthcheck(service.health)
    if service.labels:
        found["labels"] = dict(service.labels)
    if service.volumes:
        found["volumes"] = list(service.volumes)
    if service.ports:
        found["ports"] = [
            {"target": target, "published": published, "protocol": "tcp", "mode": "host"}
            for published, target in service.ports
        ]
    if service.log_driver or service.log_options:
        found["logging"] = _logging(service)
    return found


def _deploy(service: ServiceSpec) -> dict[str, Any]:
    rolling = {
        "parallelism": service.update_parallelism,
        "delay": "0s",
        "order": service.order,
        "monitor": f"{service.monitor}s",
    }
    deploy: dict[str, Any] = {
        "mode": "replicated",
        "replicas": service.replicas,
        "endpoint_mode": "dnsrr",
        "update_config": {**rolling, "failure_action": "rollback"},
        "rollback_config": {**rolling, "failure_action": "pause"},
        "restart_policy": {"condition": "any", "delay": "1s"},
        "labels": {"dockyard.role": service.role},
    }
    if service.placement:
        deploy["placement"] = {"constraints": list(service.placement)}
    return deploy


def _healthcheck(health: HealthSpec) -> dict[str, Any]:
    url = shlex.quote(f"http://127.0.0.1:{health.port}{health.path}")
    probe = f"wget -q -O /dev/null {url} || curl -fsS -o /dev/null {url}"
    return {
        "test": ["CMD-SHELL", probe],
        "interval": f"{health.interval}s",
        "timeout": f"{health.timeout}s",
        "retries": HEALTH_RETRIES,
        "start_period": f"{health.start_period}s",
    }


def _logging(service: ServiceSpec) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if service.log_driver:
        found["driver"] = service.log_driver
    if service.log_options:
        found["options"] = dict(service.log_options)
    return found


def env_script(clear: Mapping[str, str], secrets: Mapping[str, Secret]) -> Secret:
    """The env file a task exports (`set -a; . file`): one quoted assignment a line, clear
    values then secrets, so that no value is ever read as shell."""
    lines = [f"{name}={shlex.quote(value)}" for name, value in clear.items()]
    lines += [f"{name}={shlex.quote(str(value))}" for name, value in secrets.items()]
    return Secret("".join(f"{line}\n" for line in lines))
