"""One Compose service (normalised by `docker compose config`) to a Kamal role or accessory entry,
with a Report for each key dockyard does not honour. Used by config/compose.py."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from dockyard.config.compose_mounts import ProjectFiles, accessory_mounts
from dockyard.config.compose_reports import Report

# Keys read by the mapping (the rest of a service is reported); `build` and `profiles` are
# Compose's own (the image, which services are in the project).
MAPPED = ("image", "build", "command", "entrypoint", "environment", "volumes", "ports",
          "healthcheck", "depends_on", "deploy", "restart", "networks", "labels",
          "profiles", "secrets")  # fmt: skip
RESTARTS = ("always", "unless-stopped")
HEALTH_TIMES = {"interval": "health-interval", "timeout": "health-timeout",
                "start_period": "health-start-period"}  # fmt: skip


def image_parts(image: str) -> tuple[str, str]:
    """`registry.lab:5000/otto:v1` -> (`registry.lab:5000/otto`, `v1`); no tag is `latest`."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, "latest"
    return name, tag


def registry_parts(repository: str) -> tuple[str | None, str]:
    """(the registry host, the image's name there): Docker's rule, a first part with `.` or `:`
    or `localhost` is a host."""
    first, _, rest = repository.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, repository


def is_stateful(service: Mapping[str, Any]) -> bool:
    return any(v.get("type") == "volume" and v.get("source") for v in service.get("volumes") or [])


def is_caddy(service: Mapping[str, Any]) -> bool:
    repository = image_parts(str(service.get("image") or ""))[0]
    return repository.rsplit("/", 1)[-1] == "caddy"


def role_entry(
    name: str, service: Mapping[str, Any], servers: list[str], *,
    proxy: dict[str, Any] | None, by_ports: bool, reports: list[Report], swarm: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """`by_ports`: the proxy serves the service because it publishes a port (no Caddyfile);
    `swarm`: the project deploys to a swarm (x-dockyard: {backend: swarm}), whose settings
    take the deploy keys it honours (swarm_role)."""
    path = f"services.{name}"
    entry: dict[str, Any] = {"hosts": list(servers)}
    command = _command(service, path, reports)
    if command:
        entry["cmd"] = command
    _common(entry, service, path, reports, swarm=swarm, role=True)
    entry["proxy"] = proxy if proxy is not None else False
    if proxy is not None and by_ports:
        for i, port in enumerate(service.get("ports") or []):
            where = f"{path}.ports[{i}]"
            if i > 0:
                reports.append(Report(where, "the proxy serves the first port only"))
            elif port.get("published"):
                reports.append(Report(f"{where}.published", "not published on the host: "
                                      "dockyard's proxy serves the service on 80/443"))  # fmt: skip
    elif service.get("ports"):
        reason = (
            "the proxy serves the Caddyfile's routes"
            if not by_ports
            else ("only the proxied service (the first with ports) is served")
        )
        reports.append(Report(f"{path}.ports", f"{reason}; these ports are not published"))
    for i in range(len(service.get("volumes") or [])):
        reports.append(Report(f"{path}.volumes[{i}]", "an app service's mounts are not "
                              "supported yet; mount data in a stateful service"))  # fmt: skip
    for i in range(len(service.get("secrets") or [])):
        reports.append(
            Report(
                f"{path}.secrets[{i}]",
                "an app service gets no files; give "
                "it as an env secret (x-dockyard env, from .kamal/secrets)",
            )
        )
    return entry


def accessory_entry(
    name: str, service: Mapping[str, Any], project: Mapping[str, Any], host: str,
    reports: list[Report], local: ProjectFiles | None = None, *, swarm: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """`swarm`: a Swarm service takes no docker-run options, so the options _common maps are
    reported there instead; no alias is needed there: the accessory's stack service is named
    after it, and `docker stack deploy` makes that name an alias on the overlay network, beside
    its Kamal name (`<service>-<name>`)."""
    path = f"services.{name}"
    entry: dict[str, Any] = {"image": str(service.get("image") or ""), "host": host}
    if service.get("build"):
        reports.append(Report(f"{path}.build", "only the app's image is built; an accessory "
                              "runs its image as it is"))  # fmt: skip
    command = _command(service, path, reports)
    if command:
        entry["cmd"] = command
    _common(entry, service, path, reports, swarm=swarm)
    if not swarm:
        entry.setdefault("options", {})["network-alias"] = name  # reached by its service name
    ports = service.get("ports") or []
    if ports:
        port = ports[0]
        published = port.get("published") or port["target"]
        host_ip = f"{port['host_ip']}:" if port.get("host_ip") else ""
        entry["port"] = f"{host_ip}{published}:{port['target']}"
        if len(ports) > 1:
            reports.append(Report(f"{path}.ports[1]", "an accessory publishes one port"))
    volumes, files = accessory_mounts(service, project, path, local, reports)
    if volumes:
        entry["volumes"] = volumes
    if files:
        entry["files"] = files
    return entry


def swarm_role(service: Mapping[str, Any]) -> dict[str, Any]:
    """A role's x-dockyard/swarm/roles entry from its service's deploy keys, on a swarm:
    replicas, placement.constraints and update_config.parallelism (as `docker stack deploy`
    reads them)."""
    deploy: Mapping[str, Any] = service.get("deploy") or {}
    settings: dict[str, Any] = {}
    if deploy.get("replicas") is not None:
        settings["replicas"] = deploy["replicas"]
    constraints = (deploy.get("placement") or {}).get("constraints")
    if constraints:
        settings["placement"] = list(constraints)
    parallelism = (deploy.get("update_config") or {}).get("parallelism")
    if parallelism is not None:
        settings["parallelism"] = parallelism
    return settings


def _common(
    entry: dict[str, Any], service: Mapping[str, Any], path: str, reports: list[Report],
    *, swarm: bool = False, role: bool = False,
) -> None:  # fmt: skip
    """environment, labels, entrypoint, healthcheck, restart, deploy, networks, depends_on and
    the keys not mapped at all."""
    env = _environment(service, path, reports)
    if env:
        entry["env"] = {"clear": env}
    if service.get("labels"):
        entry["labels"] = {str(k): str(v) for k, v in service["labels"].items()}
    _options(entry, service, path, reports, swarm=swarm)
    _deploy(service.get("deploy") or {}, path, reports, swarm=swarm, role=role)
    for network in service.get("networks") or {}:
        if network != "default":
            reports.append(Report(f"{path}.networks.{network}", "services share one network "
                                  "(dockyard's); other networks are not made"))  # fmt: skip
    for key in service:
        if key not in MAPPED and not key.startswith("x-"):
            reports.append(Report(f"{path}.{key}", "not supported by dockyard yet"))


def _options(
    entry: dict[str, Any], service: Mapping[str, Any], path: str, reports: list[Report],
    *, swarm: bool,
) -> None:  # fmt: skip
    """entrypoint, healthcheck and restart: docker-run options (reported on a swarm, whose
    services take none)."""
    options: dict[str, Any] = {}
    entrypoint = service.get("entrypoint")
    if entrypoint:
        options["entrypoint"] = entrypoint[0]
        if len(entrypoint) > 1:
            reports.append(Report(f"{path}.entrypoint", "only its first word is the entrypoint; "
                                  "put the others in command"))  # fmt: skip
    options.update(_healthcheck(service.get("healthcheck"), path, reports))
    restart = service.get("restart")
    if restart and restart not in RESTARTS:
        reports.append(Report(f"{path}.restart", f"{restart!r}: dockyard's containers restart "
                              "unless stopped"))  # fmt: skip
    if options and swarm:
        for key in ("entrypoint", "healthcheck"):
            if service.get(key):
                reports.append(Report(f"{path}.{key}", SWARM_OPTIONS))
    elif options:
        entry["options"] = options


SWARM_OPTIONS = (
    "not given to a Swarm service yet (the image's is used; a proxied service's tasks are "
    "checked on x-dockyard.proxy.healthcheck)"
)


def _command(service: Mapping[str, Any], path: str, reports: list[Report]) -> str | None:
    """Kamal's cmd is one string split as a shell would: the words, quoted."""
    words = list(service.get("command") or [])
    entrypoint = service.get("entrypoint") or []
    words = [*entrypoint[1:], *words]
    return shlex.join(str(w) for w in words) if words else None


def _environment(service: Mapping[str, Any], path: str, reports: list[Report]) -> dict[str, str]:
    env: dict[str, str] = {}
    for key, value in (service.get("environment") or {}).items():
        if value is None:
            reports.append(Report(f"{path}.environment.{key}", "has no value (not set where "
                                  "Compose ran); set it, or in x-dockyard.env.secret"))  # fmt: skip
        else:
            env[str(key)] = str(value)
    return env


def _healthcheck(check: Any, path: str, reports: list[Report]) -> dict[str, Any]:
    """The container's own health check, as the engine's --health-* options."""
    if not check:
        return {}
    if check.get("disable"):
        return {"no-healthcheck": True}
    test = list(check.get("test") or [])
    options: dict[str, Any] = {}
    if test[:1] == ["CMD-SHELL"]:
        options["health-cmd"] = " ".join(test[1:])
    elif test[:1] == ["CMD"]:
        options["health-cmd"] = shlex.join(test[1:])
    elif test[:1] == ["NONE"]:
        return {"no-healthcheck": True}
    for key, flag in HEALTH_TIMES.items():
        if check.get(key):
            options[flag] = check[key]
    if check.get("retries"):
        options["health-retries"] = check["retries"]
    if check.get("start_interval"):
        reports.append(Report(f"{path}.healthcheck.start_interval", "not supported yet"))
    return options


def _deploy(
    deploy: Mapping[str, Any], path: str, reports: list[Report], *, swarm: bool, role: bool
) -> None:
    """Reports the deploy keys not honoured: on a swarm, all but those swarm_role maps (a
    role's); else all but one replica."""
    more = ", or deploy to a swarm (x-dockyard: {backend: swarm})" if role else ""
    if swarm and role:
        for key in _not_on_swarm(deploy):
            reports.append(Report(f"{path}.deploy.{key}", "not supported by dockyard yet"))
        return
    replicas = deploy.get("replicas")
    if replicas not in (None, 1):
        reports.append(Report(f"{path}.deploy.replicas", f"{replicas}: dockyard runs one "
                              "container of a service per server; list more servers"
                              + more))  # fmt: skip
    for key, value in deploy.items():
        if key != "replicas" and value:
            reports.append(Report(f"{path}.deploy.{key}", "not supported by dockyard yet"))


# The deploy keys a role's swarm settings take (swarm_role): a key with its sub-keys, or () for
# the whole key
ON_SWARM = {"replicas": (), "placement": ("constraints",), "update_config": ("parallelism",)}


def _not_on_swarm(deploy: Mapping[str, Any]) -> list[str]:
    """The deploy keys (`key` or `key.part`) swarm_role does not take, set to something."""
    left = []
    for key, value in deploy.items():
        if key not in ON_SWARM:
            left += [key] if value else []
        elif ON_SWARM[key] and isinstance(value, Mapping):
            left += [f"{key}.{p}" for p, v in value.items() if p not in ON_SWARM[key] and v]
    return left
