"""The validated top-level map to a frozen Config, applying Kamal's defaults and role rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.config import build_parts as parts
from dockyard.config.backups import parse_backups
from dockyard.config.cron_jobs import parse_cron_jobs
from dockyard.config.load_balancer import parse_load_balancer
from dockyard.config.merge import deep_merge_values
from dockyard.config.model import Host, Proxy, Role
from dockyard.config.objects import Config
from dockyard.config.settings import (
    DEFAULT_PROXY_IMAGE,
    Accessory,
    Boot,
    Builder,
    Dockyard,
    MountedPath,
    Output,
    Ssh,
    Sshkit,
)
from dockyard.config.swarm import parse_swarm
from dockyard.redaction import Secret


def build_config(root: Mapping[str, Any], *, destination: str | None, version: str) -> Config:
    registry = parts.registry(root.get("registry"))
    service = parts.text(root.get("service", ""))
    image = root.get("image")
    if image is None and registry.local:
        image = service
    roles = build_roles(root)
    return Config(
        service=service,
        image=parts.text(image or ""),
        version=version,
        registry=registry,
        roles=roles,
        builder=build_builder(root.get("builder") or {}),
        destination=destination,
        primary_role_name=parts.text(root.get("primary_role", "web")),
        env=parts.env(root.get("env")),
        env_tags=parts.env_tags(root.get("env")),
        labels=parts.text_map(root.get("labels")),
        volumes=parts.texts(root.get("volumes")),
        logging=parts.logging(root.get("logging")),
        proxy=parts.proxy(root["proxy"]) if isinstance(root.get("proxy"), dict) else None,
        accessories=build_accessories(root, roles),
        ssh=build_ssh(root.get("ssh") or {}),
        sshkit=Sshkit(**(root.get("sshkit") or {})),
        boot=Boot(**(root.get("boot") or {})),
        aliases=parts.text_map(root.get("aliases")),
        output=build_output(root.get("output") or {}),
        **_plain_settings(root),
        dockyard=build_dockyard(root.get("x-dockyard") or {}, root=root, roles=roles),
        raw=root,
    )


def _plain_settings(root: Mapping[str, Any]) -> dict[str, Any]:
    names = ("hooks_path", "secrets_path", "error_pages_path", "asset_path", "minimum_version")
    plain: dict[str, Any] = {name: parts.text(root[name]) for name in names if name in root}
    for name in ("require_destination", "allow_empty_roles", "retain_containers",
                 "readiness_delay", "deploy_timeout", "drain_timeout"):  # fmt: skip
        if name in root:
            plain[name] = root[name]
    if "hooks_output" in root:
        output = root["hooks_output"]
        plain["hooks_output"] = (
            {k: v.lstrip(":") for k, v in output.items()}
            if isinstance(output, dict)
            else output.lstrip(":")
        )
    return plain


def build_roles(root: Mapping[str, Any]) -> tuple[Role, ...]:
    """Roles sorted by name, as Kamal orders them; a plain host list is the `web` role."""
    servers = root.get("servers")
    if servers is None:
        return ()
    primary = parts.text(root.get("primary_role", "web"))
    if isinstance(servers, list):
        servers = {"web": servers}
    return tuple(
        build_role(parts.text(name), servers[name], root, primary)
        for name in sorted(servers, key=parts.text)
    )


def build_role(name: str, raw: Any, root: Mapping[str, Any], primary: str) -> Role:
    settings: Mapping[str, Any] = raw if isinstance(raw, dict) else {"hosts": raw}
    hosts: tuple[Host, ...] = parts.host_list(settings.get("hosts") or [])
    root_logging = parts.logging(root.get("logging"))
    stop_timeout = settings.get("stop_timeout", root.get("stop_timeout"))
    cmd = settings.get("cmd")
    return Role(
        name=name,
        hosts=hosts,
        primary=name == primary,
        cmd=parts.text(cmd) if cmd is not None else None,
        options=dict(settings.get("options") or {}),
        labels=parts.text_map(settings.get("labels")),
        env=parts.env(settings.get("env")),
        logging=root_logging.merged(parts.logging(settings.get("logging"))),
        proxy=role_proxy(name == primary, settings.get("proxy"), root.get("proxy")),
        asset_path=_optional_text(settings.get("asset_path", root.get("asset_path"))),
        stop_timeout=stop_timeout,
    )


def role_proxy(primary: bool, role_setting: Any, root_proxy: Any) -> Proxy | None:
    """The primary role is proxied unless `proxy: false`; others only with true or a map."""
    base = root_proxy if isinstance(root_proxy, dict) else {}
    if role_setting is False or (role_setting is None and not primary):
        return None
    if isinstance(role_setting, dict):
        return parts.proxy(deep_merge_values(base, role_setting))
    return parts.proxy(base)


def build_builder(raw: Mapping[str, Any]) -> Builder:
    pack = raw.get("pack") or {}
    known = {k: raw[k] for k in ("remote", "local", "context", "target", "ssh") if k in raw}
    for key in ("remote", "context", "target", "ssh"):
        if key in known:
            known[key] = parts.text(known[key])
    return Builder(
        arch=parts.texts(raw.get("arch")),
        pack_builder=_optional_text(pack.get("builder")),
        buildpacks=parts.texts(pack.get("buildpacks")),
        cache=parts.text_map(raw.get("cache")),
        dockerfile=parts.text(raw.get("dockerfile", "Dockerfile")),
        args=dict(raw.get("args") or {}),
        secrets=parts.texts(raw.get("secrets")),
        driver=parts.text(raw.get("driver", "docker-container")),
        provenance=raw.get("provenance"),
        sbom=raw.get("sbom"),
        **known,
    )


def build_output(raw: Mapping[str, Any]) -> Output:
    otel, file = raw.get("otel") or {}, raw.get("file") or {}
    return Output(
        file_path=_optional_text(file.get("path")),
        otel_endpoint=_optional_text(otel.get("endpoint")),
    )


def build_ssh(raw: Mapping[str, Any]) -> Ssh:
    config = raw.get("config", True)
    return Ssh(
        user=parts.text(raw.get("user", "root")),
        port=int(raw.get("port", 22)),
        proxy=_optional_text(raw.get("proxy")),
        proxy_command=_optional_text(raw.get("proxy_command")),
        log_level=parts.text(raw.get("log_level", "fatal")),
        keys_only=raw.get("keys_only"),
        keys=parts.texts(raw.get("keys")),
        key_data=tuple(_key_data(entry) for entry in parts.texts(raw.get("key_data"))),
        config=parts.texts(config) if isinstance(config, list) else config,
        forward_agent=raw.get("forward_agent"),
    )


def _key_data(entry: str) -> str:
    """A secret name, or (deprecated in Kamal) an inline private key, kept as a Secret."""
    return Secret(entry) if entry.lstrip().startswith("-----BEGIN") else entry


def build_accessories(root: Mapping[str, Any], roles: tuple[Role, ...]) -> tuple[Accessory, ...]:
    service = parts.text(root.get("service", ""))
    found = []
    for name, raw in (root.get("accessories") or {}).items():
        registry = parts.registry(raw["registry"]) if "registry" in raw else None
        # Kamal accepts an accessory without image at load time (it fails when booting it).
        own_image = parts.text(raw.get("image") or "")
        image = "/".join(p for p in (registry and registry.server, own_image) if p)
        found.append(
            Accessory(
                name=parts.text(name),
                service_name=parts.text(raw.get("service", f"{service}-{name}")),
                image=image,
                hosts=accessory_hosts(raw, roles),
                registry=registry,
                cmd=_optional_text(raw.get("cmd")),
                port=_optional_text(raw.get("port")),
                labels=parts.text_map(raw.get("labels")),
                options=dict(raw.get("options") or {}),
                env=parts.env(raw.get("env")),
                files=tuple(mounted_path(p) for p in raw.get("files") or []),
                directories=tuple(mounted_path(p) for p in raw.get("directories") or []),
                volumes=parts.texts(raw.get("volumes")),
                network=parts.text(raw.get("network", "kamal")),
                proxy=parts.proxy(raw["proxy"]) if isinstance(raw.get("proxy"), dict) else None,
            )
        )
    return tuple(found)


def accessory_hosts(raw: Mapping[str, Any], roles: tuple[Role, ...]) -> tuple[str, ...]:
    if "host" in raw:
        return (parts.text(raw["host"]),)
    if "hosts" in raw:
        # Unlike role hosts, Kamal keeps numbers here; a `host: tags` entry counts as its host.
        names = [next(iter(h)) if isinstance(h, dict) else h for h in raw["hosts"]]
        return tuple(dict.fromkeys(parts.text(name) for name in names))
    wanted_roles = parts.texts(raw.get("roles", raw.get("role")))
    wanted_tags = parts.texts(raw.get("tags", raw.get("tag")))
    hosts = [
        host.name
        for role in roles
        for host in role.hosts
        if role.name in wanted_roles or set(host.tags) & set(wanted_tags)
    ]
    return tuple(dict.fromkeys(hosts))


def mounted_path(raw: Any) -> MountedPath:
    if isinstance(raw, dict):
        fields = {k: parts.text(v) for k, v in raw.items() if k in vars(MountedPath("", ""))}
        return MountedPath(**{"local": "", "remote": "", **fields})
    local, _, rest = parts.text(raw).partition(":")
    remote, _, options = rest.partition(":")
    return MountedPath(local=local, remote=remote, options=options or None)


def build_dockyard(
    raw: Mapping[str, Any], *, root: Mapping[str, Any], roles: tuple[Role, ...] = ()
) -> Dockyard:
    proxy = raw.get("proxy") or {}
    names = tuple(parts.text(name) for name in root.get("accessories") or {})
    balancer = raw.get("load_balancer")
    primary = next((role.name for role in roles if role.primary), "web")
    return Dockyard(
        runtime=raw.get("runtime", "docker"),
        proxy_image=parts.text(proxy.get("image", DEFAULT_PROXY_IMAGE)),
        tls_issuer=proxy.get("tls_issuer", "acme"),
        acme_email=_optional_text(proxy.get("acme_email")),
        delivery=raw.get("delivery", "registry"),
        backups=parse_backups(raw.get("backups"), names),
        load_balancer=parse_load_balancer(balancer, root) if balancer is not None else None,
        cron=parse_cron_jobs(raw.get("cron"), {r.name: r.host_names for r in roles}, primary),
        backend=raw.get("backend", "ssh"),
        swarm=parse_swarm(raw.get("swarm"), tuple(role.name for role in roles)),
        role_images={parts.text(k): parts.text(v) for k, v in (raw.get("images") or {}).items()},
    )


def _optional_text(value: Any) -> str | None:
    return parts.text(value) if value is not None else None
