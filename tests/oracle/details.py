"""What Kamal derives beyond `kamal config` (kamal_batch.rb `details`), computed from our Config.

Kamal passes only the proxy options a config sets; kamal-proxy fills the rest. Both sides are
compared with those documented defaults filled in, so a wrong default on our side shows up.
"""

from __future__ import annotations

from typing import Any

from dockyard.config.model import Proxy
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory

# kamal-proxy's defaults for options Kamal leaves out (kamal docs proxy).
PROXY_DEFAULTS: dict[str, Any] = {
    "health_check_path": "/up", "health_check_interval": "1s", "health_check_timeout": "5s",
    "target_timeout": "30s", "buffer_memory": 1_000_000, "max_request_body": 1_000_000_000,
    "max_response_body": 0, "strip_path_prefix": True, "tls_redirect": True,
    "log_response_headers": [],
}  # fmt: skip


def normalise_kamal(details: dict[str, Any]) -> dict[str, Any]:
    """Kamal's details with kamal-proxy's defaults filled in."""
    for role in details["roles"].values():
        role["proxy"] = _filled(role["proxy"])
    for accessory in details["accessories"].values():
        accessory["proxy"] = _filled(accessory["proxy"])
        accessory["publish_args"] = accessory["publish_args"] or []
    return details


def _filled(proxy: dict[str, Any] | None) -> dict[str, Any] | None:
    if proxy is None:
        return None
    filled = {**proxy, **{k: v for k, v in PROXY_DEFAULTS.items() if proxy.get(k) is None}}
    if filled["forward_headers"] is None:
        filled["forward_headers"] = not filled["ssl"]
    return filled


def our_details(config: Config) -> dict[str, Any]:
    return {
        "latest_image": config.latest_image,
        "build_cache_image": config.build_cache_image,
        "roles": {role.name: role_details(config, role.name) for role in config.roles},
        "accessories": {a.name: accessory_details(config, a) for a in config.accessories},
    }


def role_details(config: Config, name: str) -> dict[str, Any]:
    role = config.role(name)
    labels: dict[str, Any] = config.labels_for(name)
    labels["destination"] = labels["destination"] or None
    logging = role.logging
    logging_args = ["--log-driver", f'"{logging.driver}"'] if logging.driver else []
    for key, value in logging.effective_options.items():
        logging_args += ["--log-opt", f'{key}="{value}"']
    return {
        "hosts": list(role.host_names),
        "primary": role.primary,
        "container_name": config.container_name(name),
        "cmd": role.cmd,
        "labels": labels,
        "logging_args": logging_args,
        "stop_args": [] if role.proxied else ["-t", config.drain_timeout],
        "env": {
            host: {
                "clear": dict(config.env_for(name, host).clear),
                "secret": [
                    ref.env_name if ref.env_name == ref.secret_name else
                    f"{ref.env_name}:{ref.secret_name}"
                    for ref in config.env_for(name, host).secrets
                ],
            }
            for host in role.host_names
        },
        "proxy": proxy_details(config, role.proxy),
    }  # fmt: skip


def proxy_details(config: Config, proxy: Proxy | None) -> dict[str, Any] | None:
    if proxy is None:
        return None
    return {
        "hosts": list(proxy.hosts), "app_port": proxy.app_port, "ssl": proxy.ssl,
        "custom_certificate": proxy.custom_certificate is not None,
        "health_check_path": proxy.healthcheck.path,
        "health_check_interval": f"{proxy.healthcheck.interval}s",
        "health_check_timeout": f"{proxy.healthcheck.timeout}s",
        "target_timeout": f"{proxy.response_timeout}s",
        "deploy_timeout": f"{config.deploy_timeout}s", "drain_timeout": f"{config.drain_timeout}s",
        "buffer_requests": proxy.buffering.requests, "buffer_responses": proxy.buffering.responses,
        "buffer_memory": proxy.buffering.memory,
        "max_request_body": proxy.buffering.max_request_body,
        "max_response_body": proxy.buffering.max_response_body,
        "path_prefix": list(proxy.path_prefixes), "strip_path_prefix": proxy.strip_path_prefix,
        "forward_headers": proxy.forward_headers, "tls_redirect": proxy.ssl_redirect,
        "log_request_headers": list(proxy.log_request_headers),
        "log_response_headers": list(proxy.log_response_headers),
    }  # fmt: skip


def accessory_details(config: Config, accessory: Accessory) -> dict[str, Any]:
    port = accessory.published_port
    return {
        "service_name": accessory.service_name,
        "image": accessory.image,
        "hosts": list(accessory.hosts),
        "publish_args": ["--publish", port] if port else [],
        "proxy": proxy_details(config, accessory.proxy),
    }
