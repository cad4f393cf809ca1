"""The Swarm stack of an app, from its config (pure): what `dockyard swarm stack` prints and a
deploy to the swarm applies; and the versions deployed, which `rollback` goes back to.

Each role becomes a service; its replicas default to the number of its hosts, and its env (the
root's and the role's, clear values and secrets) becomes an env file held as a Swarm secret.
Tag envs follow hosts, and a task can run on any node, so with backend: swarm they do not apply.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dockyard.commands.edge_config import EdgeSite
from dockyard.commands.swarm_stack import HealthSpec, ServiceSpec, StackSpec, env_script
from dockyard.config.model import Role
from dockyard.config.objects import Config
from dockyard.errors import ConfigError, DockyardError
from dockyard.facts.swarm import ImageCommand, Task
from dockyard.plan.balancer import edge_site
from dockyard.plan.overview import ContainerDetail
from dockyard.redaction import Secret

SECRET_DIGEST = 12  # hex digits of the env's sha256 in its secret's name


@dataclass(frozen=True)
class SwarmStack:
    name: str  # the stack: its services are <name>_<role>
    spec: StackSpec
    env_files: Mapping[str, Secret]  # file name beside the stack file -> its content (0600)


def swarm_stack(config: Config, secrets: Mapping[str, str], image: ImageCommand) -> SwarmStack:
    """The stack of this version of the app; ConfigError for a setting Swarm is not given."""
    services: list[ServiceSpec] = []
    env_files: dict[str, Secret] = {}
    for role in config.roles:
        env = role_env(config, role, secrets)
        env_files[f"{role.name}.env"] = env
        services.append(role_service(config, role, image, env))
    spec = StackSpec(network=config.swarm_network, services=tuple(services))
    return SwarmStack(name=config.stack_name, spec=spec, env_files=env_files)


def role_env(config: Config, role: Role, secrets: Mapping[str, str]) -> Secret:
    env = config.env.merged(role.env)
    clear = {"KAMAL_VERSION": config.version, **env.clear}
    if config.destination:
        clear = {"KAMAL_DESTINATION": config.destination, **clear}
    values = {ref.env_name: Secret(secrets[ref.secret_name]) for ref in env.secrets}
    return env_script(clear, values)


def role_service(config: Config, role: Role, image: ImageCommand, env: Secret) -> ServiceSpec:
    if role.options:
        raise ConfigError(
            "docker run options are not given to Swarm services; remove them with "
            "x-dockyard/backend: swarm",
            key=f"servers/{role.name}/options",
        )
    settings = config.dockyard.swarm.role(role.name)
    digest = hashlib.sha256(env.encode()).hexdigest()[:SECRET_DIGEST]
    logging = config.logging.merged(role.logging)
    return ServiceSpec(
        role=role.name,
        image=config.absolute_image,
        command=_command(role, image),
        replicas=len(role.hosts) if settings.replicas is None else settings.replicas,
        env_secret=f"{config.stack_name}_{role.name}_env_{digest}",
        env_file=f"{role.name}.env",
        stop_grace_period=config.stop_timeout_for(role.name),
        update_parallelism=settings.parallelism,
        monitor=config.dockyard.swarm.monitor,
        placement=settings.placement,
        health=_health(config, role),
        labels=config.labels_for(role.name),
        volumes=config.volumes,
        log_driver=logging.driver,
        log_options=logging.effective_options,
    )


def _command(role: Role, image: ImageCommand) -> tuple[str, ...]:
    """As `docker run IMAGE [cmd]` runs: the image's entrypoint, then the role's cmd or the
    image's."""
    cmd = tuple(shlex.split(role.cmd)) if role.cmd else image.cmd
    return (*image.entrypoint, *cmd)


def _health(config: Config, role: Role) -> HealthSpec | None:
    """A proxied role is checked as the proxy checks it: proxy/healthcheck on its app_port."""
    if role.proxy is None:
        return None
    check = role.proxy.healthcheck
    return HealthSpec(
        port=role.proxy.app_port,
        path=check.path,
        interval=check.interval,
        timeout=check.timeout,
        start_period=config.deploy_timeout,
    )


def secret_names(config: Config) -> tuple[str, ...]:
    """The secrets the stack's env files read (the root env's and every role's)."""
    names = [*config.env.secret_names]
    for role in config.roles:
        names += role.env.secret_names
    return tuple(dict.fromkeys(names))


VERSIONS_KEPT = 10  # the versions `rollback` may go back to (their images stay on the nodes)


def versions_after(history: tuple[str, ...], version: str) -> tuple[str, ...]:
    """The deployed versions once `version` is: it moves to the end, the oldest beyond
    VERSIONS_KEPT are forgotten."""
    return (*(v for v in history if v != version), version)[-VERSIONS_KEPT:]


def rollback_target(history: tuple[str, ...], wanted: str | None) -> str:
    """The version a rollback deploys: `wanted` when it was deployed to this swarm, else (None)
    the one deployed before the current one; DockyardError saying which versions there are."""
    known = ", ".join(reversed(history)) or "none yet"
    if wanted is None:
        if len(history) < 2:
            raise DockyardError(
                f"no version was deployed to the swarm before {history[-1] if history else 'now'}"
                f" (deployed, newest first: {known}); give one: `dockyard rollback VERSION`"
            )
        return history[-2]
    if wanted not in history:
        raise DockyardError(
            f"{wanted} was not deployed to this swarm, so its image may not be on every node "
            f"(deployed, newest first: {known}); deploy it instead: `dockyard deploy --version "
            f"{wanted}`"
        )
    return wanted


def edge_sites(config: Config, certificates: Mapping[str, str] = {}) -> tuple[EdgeSite, ...]:
    """What dockyard's Caddy edges serve in front of the swarm: each proxied role's routes, to
    its tasks on the overlay network (`tasks.<stack>_<role>`, no routing mesh), retried on
    another task as the load balancer's edges retry (x-dockyard/load_balancer/try_duration),
    over HTTPS as the load balancer's edges serve it (plan/balancer.py): `certificates`, the
    custom certificates' PEM bundles by site name (plan/edge_tls.py), or ACME."""
    for role in config.proxy_roles:
        _edge_can_serve(role)
    return tuple(
        replace(
            edge_site(config, role, role.proxy, certificates),
            tasks=(f"tasks.{config.stack_name}_{role.name}", role.proxy.app_port),
        )
        for role in config.proxy_roles
        if role.proxy is not None
    )


def _edge_can_serve(role: Role) -> None:
    """What the swarm's edges do not do yet: refused before anything changes."""
    proxy = role.proxy
    if proxy is not None and proxy.path_prefixes and proxy.strip_path_prefix:
        raise ConfigError(
            f"{role.name}: the swarm's edges pass the path as it came; set "
            "strip_path_prefix: false",
            key="proxy/strip_path_prefix",
        )


def edge_hosts(config: Config) -> tuple[str, ...]:
    """Where the edges run: x-dockyard/load_balancer/hosts, else every host of a proxied role
    (where the per-host proxy would run over SSH)."""
    balancer = config.dockyard.load_balancer
    if balancer is not None:
        return balancer.hosts
    return tuple(dict.fromkeys(host for role in config.proxy_roles for host in role.host_names))


def task_details(config: Config, tasks: Sequence[Task]) -> dict[str, list[ContainerDetail]]:
    """`details` on a swarm: each node's running tasks, as rows like the containers' (role,
    version from the image's tag, state in Swarm's words)."""
    found: dict[str, list[ContainerDetail]] = {}
    for task in sorted(tasks, key=lambda t: (t.node, t.name)):
        service = task.name.split(".")[0]
        image = task.image.split("@")[0]
        state = task.state.split(" ")[0].lower() + (f" ({task.error})" if task.error else "")
        found.setdefault(task.node, []).append(
            ContainerDetail(
                kind="app",
                name=task.name,
                image=image,
                state=state,
                role=service.removeprefix(f"{config.stack_name}_"),
                version=image.rsplit("/", 1)[-1].partition(":")[2] or None,
            )
        )
    return found
