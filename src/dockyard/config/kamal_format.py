"""The structure `kamal config` prints, built from a Config (for `dockyard config --format kamal`).

Kamal prints a Ruby hash with symbol keys; here the keys keep their leading colon so the two
outputs load to the same data. Ruby objects Kamal prints (SSH proxies) become plain maps of their
fields. One deliberate difference: Kamal prints ssh key_data secrets in clear; we redact them.
"""

from __future__ import annotations

from typing import Any

from dockyard.config.objects import Config
from dockyard.redaction import REDACTED


def kamal_config(config: Config) -> dict[str, Any]:
    raw = config.raw
    data: dict[str, Any] = {
        ":roles": [role.name for role in config.roles],
        ":hosts": list(config.all_hosts),
        ":primary_host": config.primary_host,
        ":version": config.version,
        ":repository": config.repository,
        ":absolute_image": config.absolute_image,
        ":service_with_version": config.service_with_version,
        ":volume_args": [arg for volume in config.volumes for arg in ("--volume", volume)],
        ":ssh_options": ssh_options(raw.get("ssh") or {}),
        ":sshkit": dict(raw.get("sshkit") or {}),
        ":builder": raw.get("builder"),
        ":accessories": raw.get("accessories"),
        ":logging": logging_args(config),
    }
    return {key: value for key, value in data.items() if value is not None}


def ssh_options(ssh: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {":user": ssh.get("user", "root"), ":port": ssh.get("port", 22)}
    if ssh.get("proxy"):
        jump = str(ssh["proxy"])
        options[":proxy"] = {"jump_proxies": jump if "@" in jump else f"root@{jump}"}
    elif ssh.get("proxy_command"):
        options[":proxy"] = {
            "command_line_template": ssh["proxy_command"],
            "command_line": None,
            "timeout": 60,
        }
    options[":keepalive"] = True
    options[":keepalive_interval"] = 30
    for key in ("keys_only", "keys"):
        if key in ssh:
            options[f":{key}"] = ssh[key]
    if "key_data" in ssh:
        options[":key_data"] = [REDACTED for _ in ssh["key_data"]]
    if "config" in ssh:
        options[":config"] = ssh["config"]
    options[":log_level"] = ssh.get("log_level", ":fatal")
    if "forward_agent" in ssh:
        options[":forward_agent"] = ssh["forward_agent"]
    return options


def logging_args(config: Config) -> list[str]:
    """Kamal's `--log-driver "d"` and `--log-opt k="v"` arguments of the root logging."""
    logging = config.logging
    args = ["--log-driver", f'"{logging.driver}"'] if logging.driver else []
    for key, value in logging.effective_options.items():
        args += ["--log-opt", f'{key}="{value}"']
    return args
