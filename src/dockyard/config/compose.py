"""A Compose project (as `docker compose config --format json` prints it) to the config/deploy.yml
map a Kamal app would write, and the list of what dockyard cannot honour.

    mapped = map_project(project)      # mapped.document: the deploy.yml map; mapped.reports
    mapped.version                     # the app image's tag (None when it is built)

Pure: Compose itself has read the files, merged the -f files, applied .env, interpolation,
env_file and profiles; this reads its normalised JSON only. Services become:

- the app's roles: the services that run the app image (the image of the one service that
  publishes a port, or that is built), and those whose image is released with it (not built,
  the same registry and tag: the role runs it, x-dockyard/images). The service with ports is
  the proxied role (per-service zero downtime); the others are workers (started new, then the
  old stopped);
- accessories: services with a named volume (stateful), and services of another image;
- nothing: a Caddy service (dockyard's proxy serves instead).

Servers, SSH, registry and delivery come from the top-level `x-dockyard:` block. Every key
dockyard does not honour is a Report (its path in the Compose project, and why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.config.compose_caddy import CADDYFILE, caddy_routes, route_proxies
from dockyard.config.compose_mounts import ProjectFiles
from dockyard.config.compose_order import depends_on_reports
from dockyard.config.compose_reports import Report
from dockyard.config.compose_services import (
    accessory_entry,
    image_parts,
    is_caddy,
    is_stateful,
    registry_parts,
    role_entry,
    swarm_role,
)
from dockyard.errors import ConfigError

__all__ = ["BLOCK", "Mapped", "ProjectFiles", "Report", "map_project"]

BLOCK = "x-dockyard"
# x-dockyard keys that are Kamal's top-level keys, copied as they are (Kamal's rules check them)
KAMAL_KEYS = (
    "service", "registry", "ssh", "builder", "env", "proxy", "boot", "labels", "logging",
    "readiness_delay", "deploy_timeout", "drain_timeout", "retain_containers", "hooks_path",
    "secrets_path", "asset_path", "primary_role",
)  # fmt: skip
# x-dockyard keys that are config/deploy.yml's own x-dockyard keys; `caddy` is its `proxy`
DOCKYARD_KEYS = ("runtime", "delivery", "backups", "backend", "swarm", "load_balancer", "cron")
PROJECT_KEYS = ("name", "services", "volumes", "networks", "secrets", BLOCK)


@dataclass(frozen=True)
class Mapped:
    document: dict[str, Any]
    reports: tuple[Report, ...]
    version: str | None  # the app image's tag, when the image is not built


def map_project(
    project: Mapping[str, Any], caddy: Mapping[str, Any] | None = None,
    local: ProjectFiles | None = None,
) -> Mapped:  # fmt: skip
    """`caddy`: the project's Caddyfile as `caddy adapt` prints it, when it has one; `local`:
    the project directory (an accessory's bind mounts and secrets from files; without it they
    are reported)."""
    block = _block(project)
    reports: list[Report] = [Report(key, "not supported by dockyard yet") for key in project
                             if key not in PROJECT_KEYS and not key.startswith("x-")]  # fmt: skip
    services: Mapping[str, Any] = project.get("services") or {}
    proxies = _proxies(services, caddy, reports)
    app = str(block.get("primary_role") or _app_service(services, proxies))
    if not proxies and caddy is None and block.get("proxy"):
        proxies = {app: {}}  # no Caddyfile, no ports: x-dockyard.proxy serves the app (Kamal's)
    repository, version = _app_image(project, app)
    servers = [str(h) for h in block["servers"]]
    document: dict[str, Any] = {"service": str(project.get("name") or "app"), "servers": {}}
    document.update({key: block[key] for key in KAMAL_KEYS if key in block})
    document["image"] = repository
    roles, accessories, own_images = document["servers"], {}, {}
    on_swarm, swarm_roles = block.get("backend") == "swarm", {}
    for name in sorted(services):
        service, proxy = services[name], proxies.get(name)
        own = _own_image(service, repository, version)
        if is_caddy(service):
            if caddy is None:
                reports.append(Report(f"services.{name}", NO_CADDYFILE))
        elif is_stateful(service) or (own is None and _repository(service) != repository):
            accessories[name] = accessory_entry(name, service, project, servers[0], reports,
                                                local, swarm=on_swarm)  # fmt: skip
            _accessory_notes(name, service, proxy, repository, accessories[name], reports)
        else:
            roles[name] = role_entry(name, service, servers, proxy=proxy,
                                     by_ports=caddy is None, reports=reports,
                                     swarm=on_swarm)  # fmt: skip
            if on_swarm and swarm_role(service):
                swarm_roles[name] = swarm_role(service)
            if own is not None and own != repository:
                own_images[name] = registry_parts(own)[1]
            elif own is None and version is not None and not service.get("build"):
                reports += _other_tag(name, service, version)
    if not roles:
        raise ConfigError(f"{BLOCK}: the project has no service that runs the app image "
                          f"{repository}; give one service `ports:` or `build:`")  # fmt: skip
    if app not in roles:
        raise ConfigError(f"{BLOCK}.primary_role: {app} is not a service of the app image "
                          f"{repository}")  # fmt: skip
    document["primary_role"] = primary = app
    reports += depends_on_reports(services, set(roles), set(accessories), primary)
    _build(project["services"][app], block, document, reports)
    if accessories:
        document["accessories"] = accessories
    _dockyard_settings(block, document, own_images, swarm_roles)
    return Mapped(document, tuple(reports), version)


def _other_tag(name: str, service: Mapping[str, Any], version: str) -> list[Report]:
    """A role of the app image at another tag runs the app's version: said."""
    tag = image_parts(str(service.get("image") or ""))[1]
    if tag == version:
        return []
    reason = f"tag {tag}: the role runs the app's version {version}, as every role"
    return [Report(f"services.{name}.image", reason)]


def _repository(service: Mapping[str, Any]) -> str:
    return image_parts(str(service.get("image") or ""))[0]


def _own_image(service: Mapping[str, Any], app: str, version: str | None) -> str | None:
    """A stateless service's image released with the app's (not built, the app image's tag,
    in its registry), which its role runs (x-dockyard/images); None for another image."""
    if version is None or service.get("build") or is_stateful(service) or is_caddy(service):
        return None
    repository, tag = image_parts(str(service.get("image") or ""))
    if tag != version or registry_parts(repository)[0] != registry_parts(app)[0]:
        return None
    return repository


NO_CADDYFILE = (f"a Caddy service is replaced by dockyard's proxy; no Caddyfile mounted at "
                f"{CADDYFILE} was read: set x-dockyard.proxy.host")  # fmt: skip


def _proxies(
    services: Mapping[str, Any], caddy: Mapping[str, Any] | None, reports: list[Report]
) -> dict[str, dict[str, Any]]:
    """The proxy entry of each service the proxy serves: the Caddyfile's routes, else the first
    stateless service (by name) that publishes a port, at its first port's target."""
    if caddy is not None:
        caddy_services = [n for n in services if is_caddy(services[n])]
        path = f"services.{caddy_services[0]}" if caddy_services else "Caddyfile"
        routes, found = caddy_routes(caddy, services=set(services), path=path)
        reports += found
        return route_proxies(routes, path, reports)
    for name in sorted(services):
        service = services[name]
        if service.get("ports") and not is_stateful(service) and not is_caddy(service):
            return {name: {"app_port": int(service["ports"][0]["target"])}}
    return {}


def _accessory_notes(
    name: str, service: Mapping[str, Any], proxy: dict[str, Any] | None, repository: str,
    entry: dict[str, Any], reports: list[Report],
) -> None:  # fmt: skip
    if proxy is not None:
        entry["proxy"] = proxy
    if not is_stateful(service):
        reason = "runs as an accessory (stop-first, untouched by deploy)"
        reports.append(Report(f"services.{name}.image", f"not the app's image ({repository}): "
                              f"{reason}"))  # fmt: skip


def _block(project: Mapping[str, Any]) -> Mapping[str, Any]:
    block = project.get(BLOCK)
    if not isinstance(block, dict) or not block.get("servers"):
        raise ConfigError(f"the Compose project has no `{BLOCK}:` block with `servers:`; add one "
                          f"at the top level: `{BLOCK}: {{servers: [10.0.0.1]}}`")  # fmt: skip
    unknown = [k for k in block if k not in (*KAMAL_KEYS, *DOCKYARD_KEYS, "servers", "caddy")]
    if unknown:
        raise ConfigError(f"{BLOCK}.{unknown[0]}: unknown key; the keys are servers, caddy, "
                          f"{', '.join(KAMAL_KEYS + DOCKYARD_KEYS)}")  # fmt: skip
    if not isinstance(block["servers"], list):
        raise ConfigError(f"{BLOCK}.servers: a list of hosts, e.g. [10.0.0.1, 10.0.0.2]")
    return block


def _app_service(services: Mapping[str, Any], proxies: Mapping[str, Any]) -> str:
    """The first stateless service (by name) the proxy serves, else the first built one, else
    the first stateless one."""
    stateless = [n for n in sorted(services) if not is_stateful(services[n])
                 and not is_caddy(services[n])]  # fmt: skip
    for found in ([n for n in stateless if n in proxies],
                  [n for n in stateless if services[n].get("build")]):  # fmt: skip
        if found:
            return found[0]
    if not stateless:
        raise ConfigError("the Compose project has no stateless service to deploy as the app")
    return stateless[0]


def _app_image(project: Mapping[str, Any], app: str) -> tuple[str, str | None]:
    """The app's repository (the image without its tag) and the tag (None when built)."""
    if app not in project["services"]:
        raise ConfigError(f"{BLOCK}.primary_role: the project has no service {app}")
    service = project["services"][app]
    if is_stateful(service) or is_caddy(service):
        raise ConfigError(f"{BLOCK}.primary_role: {app} is not a stateless service of the app "
                          "(it has a named volume, or is the Caddy service)")  # fmt: skip
    image = service.get("image") or f"{project.get('name')}-{app}"
    repository, tag = image_parts(image)
    return repository, None if service.get("build") else tag


def _build(
    service: Mapping[str, Any], block: Mapping[str, Any], document: dict[str, Any],
    reports: list[Report],
) -> None:  # fmt: skip
    """The registry from the app image's name, and the builder from its `build:` (what
    x-dockyard sets is kept)."""
    server, image = registry_parts(document["image"])
    if server is not None:
        document["image"] = image
        document["registry"] = {"server": server, **(block.get("registry") or {})}
    builder: dict[str, Any] = {"arch": "amd64"}
    build = service.get("build")
    if build:
        builder["context"] = build.get("context", ".")
        for key in ("dockerfile", "args", "target"):
            if build.get(key):
                builder[key] = build[key]
        for key in build:
            if key not in ("context", "dockerfile", "args", "target"):
                reports.append(Report(f"services.{document['primary_role']}.build.{key}",
                                      "not supported by dockyard yet"))  # fmt: skip
    document["builder"] = {**builder, **(block.get("builder") or {})}


def _dockyard_settings(
    block: Mapping[str, Any], document: dict[str, Any], images: dict[str, str],
    swarm_roles: dict[str, dict[str, Any]],
) -> None:  # fmt: skip
    """x-dockyard's own keys; on a swarm, each role's settings from its service's deploy keys,
    under what x-dockyard/swarm/roles sets for that role."""
    own = {key: block[key] for key in DOCKYARD_KEYS if key in block}
    if swarm_roles:
        swarm = dict(own.get("swarm") or {})
        given = swarm.get("roles") or {}
        names = sorted({*swarm_roles, *given})
        swarm["roles"] = {n: {**swarm_roles.get(n, {}), **(given.get(n) or {})} for n in names}
        own["swarm"] = swarm
    if "caddy" in block:
        own["proxy"] = block["caddy"]
    if images:
        own["images"] = images
    if own:
        document["x-dockyard"] = own
