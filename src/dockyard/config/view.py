"""The resolved config as plain data for `dockyard config` (YAML or --json), secrets redacted.

Secrets appear by NAME only (`secret:NAME`); literal values that are secrets (a registry password
written in the file, inline ssh key_data) are shown as [REDACTED].
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dockyard.config.model import Credential, Env, Proxy, Registry, Role
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.redaction import REDACTED, Secret


def config_view(config: Config) -> dict[str, Any]:
    return {
        "service": config.service,
        "destination": config.destination,
        "version": config.version,
        "image": config.image,
        "repository": config.repository,
        "absolute_image": config.absolute_image,
        "latest_image": config.latest_image,
        "runtime": config.runtime.name,
        "proxy_image": config.dockyard.proxy_image,
        "delivery": config.dockyard.delivery,
        "primary_role": config.primary_role_name,
        "primary_host": config.primary_host,
        "hosts": list(config.all_hosts),
        "roles": {role.name: role_view(config, role) for role in config.roles},
        "accessories": {a.name: accessory_view(a) for a in config.accessories},
        "registry": registry_view(config.registry),
        "builder": _plain(config.builder),
        "ssh": {**_plain(config.ssh), "key_data": [_key(k) for k in config.ssh.key_data]},
        "sshkit": _plain(config.sshkit),
        "boot": _plain(config.boot),
        "aliases": dict(config.aliases),
        "settings": settings_view(config),
    }


def role_view(config: Config, role: Role) -> dict[str, Any]:
    return {
        "hosts": [host.name for host in role.hosts],
        "tags": {host.name: list(host.tags) for host in role.hosts if host.tags},
        "container_name": config.container_name(role.name),
        "cmd": role.cmd,
        "options": dict(role.options),
        "labels": config.labels_for(role.name),
        "env": env_view(config.env.merged(role.env)),
        "env_by_host": {
            host.name: env_view(config.env_for(role.name, host.name))
            for host in role.hosts
            if host.tags
        },
        "logging": {"driver": role.logging.driver, "options": dict(role.logging.effective_options)},
        "proxy": proxy_view(config, role.name, role.proxy),
        "stop_timeout": config.stop_timeout_for(role.name),
        "asset_path": role.asset_path,
    }


def env_view(env: Env) -> dict[str, Any]:
    return {
        "clear": dict(env.clear),
        "secret": {ref.env_name: f"secret:{ref.secret_name}" for ref in env.secrets},
    }


def proxy_view(config: Config, role: str, proxy: Proxy | None) -> dict[str, Any] | None:
    if proxy is None:
        return None
    view: dict[str, Any] = _plain(proxy)
    view["service_name"] = config.proxy_service_name(role)
    if proxy.custom_certificate:
        cert = proxy.custom_certificate
        view["custom_certificate"] = {
            "certificate_pem": f"secret:{cert.certificate_pem}",
            "private_key_pem": f"secret:{cert.private_key_pem}",
        }
    return view


def accessory_view(accessory: Accessory) -> dict[str, Any]:
    view: dict[str, Any] = _plain(accessory)
    view["env"] = env_view(accessory.env)
    view["registry"] = registry_view(accessory.registry) if accessory.registry else None
    return view


def registry_view(registry: Registry) -> dict[str, Any]:
    return {
        "server": registry.server,
        "local": registry.local,
        "username": _credential(registry.username, secret=False),
        "password": _credential(registry.password, secret=True),
    }


def settings_view(config: Config) -> dict[str, Any]:
    names = ("hooks_path", "hooks_output", "secrets_path", "error_pages_path", "asset_path",
             "require_destination", "allow_empty_roles", "retain_containers", "minimum_version",
             "readiness_delay", "deploy_timeout", "drain_timeout", "run_directory")  # fmt: skip
    view = {name: _plain(getattr(config, name)) for name in names}
    view["labels"] = dict(config.labels)
    view["volumes"] = list(config.volumes)
    return view


def _key(entry: str) -> str:
    return REDACTED if isinstance(entry, Secret) else f"secret:{entry}"


def _credential(credential: Credential | None, *, secret: bool) -> str | None:
    if credential is None:
        return None
    if credential.secret is not None:
        return f"secret:{credential.secret}"
    return REDACTED if secret or isinstance(credential.literal, Secret) else credential.literal


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings to JSON-friendly dicts and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
