"""Every name of a valid config that ends up in a remote command, a path or a DNS name, checked
against the rules in names.py: the last check of loading, once Kamal's own rules have passed (so
where Kamal rejects a config, dockyard rejects it at the same key first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.config import image_names, names
from dockyard.config.objects import Config
from dockyard.config.validator import Validator
from dockyard.config.yamlsource import Path


def check_names(v: Validator, root: Mapping[str, Any], config: Config) -> None:
    v.check(("service",), names.engine_name_problem("", config.service, first=True))
    servers = root.get("servers")
    if isinstance(servers, list):
        hosts(v, servers, ("servers",))
    for name, role in servers.items() if isinstance(servers, dict) else ():
        where: Path = ("servers", name)
        v.check(where, names.engine_name_problem("role name", str(name)))
        if isinstance(role, list):
            hosts(v, role, where)
        else:
            hosts(v, role.get("hosts") or [], (*where, "hosts"))
            settings(v, role, where)
    settings(v, root, ())
    for name, accessory in (root.get("accessories") or {}).items():
        check_accessory(v, str(name), accessory, config.service)
    hooks_output = root.get("hooks_output")
    for hook in hooks_output if isinstance(hooks_output, dict) else ():
        v.check(("hooks_output", hook), names.hook_name_problem(str(hook)))
    for role in config.proxy_roles:
        # a slot alias as commands/caddy_config.slot_alias makes it (--a and --b are as long)
        alias = f"{config.proxy_service_name(role.name)}--a"
        v.check(("service",), names.alias_problem(config.service, role.name, alias))
    check_images(v, root, config)
    if config.dockyard.backend == "swarm":
        network = config.swarm_network
        v.check(("x-dockyard", "swarm", "network"), names.engine_name_problem(
            "the swarm network", network, first=True))  # fmt: skip


def check_images(v: Validator, root: Mapping[str, Any], config: Config) -> None:
    """Every image a server or the builder pulls, pushes or runs, as docker and podman read
    image references (image_names.py): the app's (registry server, then image), each
    accessory's, the build cache's and the proxy's (builder/pack is not supported: a warning
    says so, config/unsupported.py, and its builder image is never used)."""
    server = config.registry.server
    if server:
        v.check(("registry", "server"), image_names.registry_server_problem(server))
    if config.image:  # a local registry's default is the service (check_required: required)
        at: Path = ("image",) if root.get("image") not in (None, "") else ("service",)
        v.check(at, image_names.repository_problem(config.image, server))
    for accessory in config.accessories:
        where: Path = ("accessories", accessory.name)
        own_server = accessory.registry.server if accessory.registry else None
        if own_server:
            problem = image_names.registry_server_problem(own_server)
            v.check((*where, "registry", "server"), problem)
        if accessory.image:  # Kamal fails only when it boots an accessory without one
            v.check((*where, "image"), image_names.reference_problem(accessory.image))
    builder = config.builder
    if builder.cache.get("type") == "registry":
        problem = image_names.reference_problem(config.build_cache_image)
        if builder.cache.get("image"):
            v.check(("builder", "cache", "image"), problem)
        elif problem is not None:  # the default: <image>-build-cache
            v.fail(("image",), f"the build cache {problem} (shorten the image, or name the "
                   "cache in builder/cache/image)")  # fmt: skip
    proxy_image = config.dockyard.proxy_image
    v.check(("x-dockyard", "proxy", "image"), image_names.reference_problem(proxy_image))
    check_role_images(v, config)


def check_role_images(v: Validator, config: Config) -> None:
    """x-dockyard/images: each names a role, and a repository of the app's registry that the
    servers pull (dockyard builds only the app's image): so delivery through a registry that
    is not local, and the ssh backend."""
    roles = {role.name for role in config.roles}
    server = config.registry.server
    for role, repository in config.dockyard.role_images.items():
        where: Path = ("x-dockyard", "images", role)
        if role not in roles:
            v.fail(where, f"{role} is not a role of servers ({', '.join(sorted(roles))})")
        v.check(where, image_names.repository_problem(repository, server))
        if config.dockyard.delivery != "registry" or config.registry.local:
            v.fail(where, "a role's own image is pulled from the registry: it needs delivery: "
                   "registry and a registry that is not localhost:PORT")  # fmt: skip
        if config.dockyard.backend != "ssh":
            v.fail(where, "a role's own image is not supported with backend: swarm yet")


def settings(v: Validator, section: Mapping[str, Any], where: Path) -> None:
    """Labels, env and proxy hosts of the root, a role or an accessory; the asset path of the
    root or a role."""
    for key in section.get("labels") or {}:
        v.check((*where, "labels", key), names.label_key_problem(str(key)))
    if section.get("env") is not None:
        env(v, section["env"], (*where, "env"))
    proxy = section.get("proxy")
    if isinstance(proxy, dict):
        hosts_of_proxy(v, proxy, (*where, "proxy"))
    asset_path = section.get("asset_path")
    if isinstance(asset_path, str):
        v.check((*where, "asset_path"), names.asset_path_problem(asset_path))


def hosts(v: Validator, items: list[Any], where: Path) -> None:
    for index, item in enumerate(items):
        host = next(iter(item)) if isinstance(item, dict) else item
        if isinstance(host, str):  # Kamal skips a bare number; validation checked the types
            v.check((*where, index), names.host_problem(host))


def env(v: Validator, value: Mapping[str, Any], where: Path) -> None:
    if not any(key in value for key in ("clear", "secret", "tags")):
        for name in value:
            v.check((*where, name), names.env_name_problem(str(name)))
        return
    for name in value.get("clear") or {}:
        v.check((*where, "clear", name), names.env_name_problem(str(name)))
    for index, entry in enumerate(value.get("secret") or []):
        name = str(entry).partition(":")[0]
        v.check((*where, "secret", index), names.env_name_problem(name))
    for tag, tag_env in (value.get("tags") or {}).items():
        env(v, tag_env, (*where, "tags", tag))


def hosts_of_proxy(v: Validator, proxy: Mapping[str, Any], where: Path) -> None:
    if proxy.get("host") is not None:
        for host in str(proxy["host"]).split(","):
            v.check((*where, "host"), names.proxy_host_problem(host.strip()))
    for index, host in enumerate(proxy.get("hosts") or []):
        v.check((*where, "hosts", index), names.proxy_host_problem(str(host)))


def check_accessory(v: Validator, name: str, accessory: Mapping[str, Any], service: str) -> None:
    where: Path = ("accessories", name)
    v.check(where, names.engine_name_problem("accessory name", name))
    container = str(accessory.get("service", f"{service}-{name}"))
    at = (*where, "service") if "service" in accessory else where
    v.check(at, names.reached_name_problem("accessory container name", container))
    if "host" in accessory:
        v.check((*where, "host"), names.host_problem(str(accessory["host"])))
    hosts(v, accessory.get("hosts") or [], (*where, "hosts"))
    settings(v, accessory, where)
