"""Validated raw sections to frozen objects: env, hosts, proxy, registry, logging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.config.model import (
    Buffering,
    Credential,
    CustomCertificate,
    Env,
    Healthcheck,
    Host,
    Logging,
    Proxy,
    ProxyRun,
    Registry,
    SecretRef,
)
from dockyard.redaction import Secret

ENV_KEYS = ("clear", "secret", "tags")


def text(value: Any) -> str:
    """A scalar as Ruby's to_s writes it (true/false, not True/False)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def texts(values: Any) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, list):
        return tuple(text(v) for v in values)
    return (text(values),)


def text_map(values: Mapping[Any, Any] | None) -> dict[str, str]:
    return {text(k): text(v) for k, v in (values or {}).items()}


def host_list(raw: list[Any]) -> tuple[Host, ...]:
    """Hosts in order, each once (a repeated host keeps its first place and its last tags).

    As in Kamal, an entry that is a bare number (`- 1234`) names no host and is skipped.
    """
    tags_by_host: dict[str, tuple[str, ...]] = {}
    for item in raw:
        if isinstance(item, dict):
            name, tags = next(iter(item.items()))
            tags_by_host[text(name)] = texts(tags)
        elif isinstance(item, str):
            tags_by_host[item] = ()
    return tuple(Host(name, tags) for name, tags in tags_by_host.items())


def secret_ref(entry: Any) -> SecretRef:
    """`NAME` or `NAME:SECRET_NAME` (the env variable NAME gets the secret SECRET_NAME)."""
    name, _, secret = text(entry).partition(":")
    return SecretRef(name, secret or name)


def env(raw: Mapping[str, Any] | None) -> Env:
    raw = raw or {}
    if not any(key in raw for key in ENV_KEYS):
        return Env(clear=text_map(raw))
    secrets = tuple(secret_ref(entry) for entry in raw.get("secret") or [])
    return Env(clear=text_map(raw.get("clear")), secrets=secrets)


def env_tags(raw: Mapping[str, Any] | None) -> dict[str, Env]:
    tags = (raw or {}).get("tags") or {}
    return {text(name): env(tag_env) for name, tag_env in tags.items()}


def credential(raw: Any, *, sensitive: bool) -> Credential | None:
    """A literal password is kept as a Secret, so no repr or log line shows it."""
    if raw is None:
        return None
    if isinstance(raw, list):
        return Credential(secret=text(raw[0]))
    return Credential(literal=Secret(text(raw)) if sensitive else text(raw))


def registry(raw: Mapping[str, Any] | None) -> Registry:
    raw = raw or {}
    server = raw.get("server")
    return Registry(
        server=text(server) if server is not None else None,
        username=credential(raw.get("username"), sensitive=False),
        password=credential(raw.get("password"), sensitive=True),
    )


def logging(raw: Mapping[str, Any] | None) -> Logging:
    raw = raw or {}
    driver = raw.get("driver")
    return Logging(text(driver) if driver is not None else None, text_map(raw.get("options")))


def proxy(raw: Mapping[str, Any]) -> Proxy:
    """Resolved proxy settings from a (merged) proxy map, with Kamal's defaults."""
    hosts = texts(raw.get("hosts")) or tuple(
        h.strip() for h in text(raw.get("host") or "").split(",") if h.strip()
    )
    prefixes = texts(raw.get("path_prefixes")) or tuple(
        p.strip() for p in text(raw.get("path_prefix") or "").split(",") if p.strip()
    )
    ssl_raw = raw.get("ssl")
    cert = None
    if isinstance(ssl_raw, dict) and ssl_raw.get("certificate_pem"):
        cert = CustomCertificate(text(ssl_raw["certificate_pem"]), text(ssl_raw["private_key_pem"]))
    ssl = ssl_raw is not None and ssl_raw is not False  # Ruby's truth: `ssl: {}` is on
    logging_raw = raw.get("logging") or {}
    defaults = Proxy()
    return Proxy(
        hosts=hosts,
        app_port=raw.get("app_port", 80),
        ssl=ssl,
        custom_certificate=cert,
        ssl_redirect=raw.get("ssl_redirect", True),
        forward_headers=raw.get("forward_headers", not ssl),
        response_timeout=raw.get("response_timeout", 30),
        path_prefixes=prefixes,
        strip_path_prefix=raw.get("strip_path_prefix", True),
        healthcheck=Healthcheck(**{**vars(Healthcheck()), **(raw.get("healthcheck") or {})}),
        buffering=Buffering(**{**vars(Buffering()), **(raw.get("buffering") or {})}),
        log_request_headers=defaults.log_request_headers
        if logging_raw.get("request_headers") is None
        else texts(logging_raw["request_headers"]),
        log_response_headers=texts(logging_raw.get("response_headers")),
        run=proxy_run(raw.get("run") or {}),
    )


def proxy_run(raw: Mapping[str, Any]) -> ProxyRun:
    known = {k: v for k, v in raw.items() if k in vars(ProxyRun())}
    if "bind_ips" in known:
        known["bind_ips"] = texts(known["bind_ips"])
    if "log_max_size" in known:
        known["log_max_size"] = text(known["log_max_size"])
    return ProxyRun(**known)
