"""Frozen, typed pieces of a validated config. Config itself lives in config/objects.py.

Secrets are never resolved here: every secret is kept as its NAME (and, for env, the variable it
fills), to be looked up lazily through dockyard.secrets when a command needs the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOG_OPTIONS: Mapping[str, str] = {"max-size": "10m"}


@dataclass(frozen=True)
class Host:
    name: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecretRef:
    """Env variable `env_name` gets the value of secret `secret_name` (`A:B` aliases)."""

    env_name: str
    secret_name: str


@dataclass(frozen=True)
class Env:
    clear: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[SecretRef, ...] = ()

    def merged(self, other: Env) -> Env:
        """self, then other over it (by variable name)."""
        secrets = {ref.env_name: ref for ref in self.secrets} | {
            r.env_name: r for r in other.secrets
        }
        return Env(clear={**self.clear, **other.clear}, secrets=tuple(secrets.values()))

    @property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(ref.secret_name for ref in self.secrets)


@dataclass(frozen=True)
class Credential:
    """A registry username or password: a literal value, or the name of a secret."""

    literal: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Registry:
    server: str | None = None
    username: Credential | None = None
    password: Credential | None = None

    @property
    def local(self) -> bool:
        return (self.server or "").startswith("localhost:")

    @property
    def local_port(self) -> int | None:
        """Port of a `localhost:PORT` registry."""
        if not self.local or ":" not in (self.server or ""):
            return None
        return int(str(self.server).rsplit(":", 1)[1])


@dataclass(frozen=True)
class Logging:
    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: Logging) -> Logging:
        return Logging(other.driver or self.driver, {**self.options, **other.options})

    @property
    def effective_options(self) -> Mapping[str, str]:
        """Kamal adds max-size=10m when neither a driver nor options are set."""
        if self.driver is None and not self.options:
            return DEFAULT_LOG_OPTIONS
        return self.options


@dataclass(frozen=True)
class Healthcheck:
    path: str = "/up"
    interval: int = 1
    timeout: int = 5


@dataclass(frozen=True)
class Buffering:
    requests: bool = True
    responses: bool = True
    max_request_body: int = 1_000_000_000
    max_response_body: int = 0
    memory: int = 1_000_000


@dataclass(frozen=True)
class CustomCertificate:
    """Names of the secrets holding the PEM certificate and key."""

    certificate_pem: str
    private_key_pem: str


@dataclass(frozen=True)
class ProxyRun:
    """How the proxy container is run on a host (shared by every app there)."""

    http_port: int = 80
    https_port: int = 443
    metrics_port: int | None = None
    debug: bool = False
    log_max_size: str = "10m"
    publish: bool = True
    bind_ips: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Proxy:
    """The resolved routing of one role (or accessory) through the proxy."""

    hosts: tuple[str, ...] = ()
    app_port: int = 80
    ssl: bool = False
    custom_certificate: CustomCertificate | None = None
    ssl_redirect: bool = True
    forward_headers: bool = True
    response_timeout: int = 30
    path_prefixes: tuple[str, ...] = ()
    strip_path_prefix: bool = True
    healthcheck: Healthcheck = field(default_factory=Healthcheck)
    buffering: Buffering = field(default_factory=Buffering)
    log_request_headers: tuple[str, ...] = ("Cache-Control", "Last-Modified", "User-Agent")
    log_response_headers: tuple[str, ...] = ()
    run: ProxyRun = field(default_factory=ProxyRun)


@dataclass(frozen=True)
class AssetPath:
    """`asset_path: /rails/public/assets[:options]`: where the image holds its fingerprinted
    assets, and the mount options of the volume that bridges them between versions."""

    path: str
    options: str | None = None

    @classmethod
    def parse(cls, raw: str) -> AssetPath:
        path, _, options = raw.partition(":")  # Kamal splits at the first colon
        return cls(path, options or None)


@dataclass(frozen=True)
class Role:
    name: str
    hosts: tuple[Host, ...]
    primary: bool = False
    cmd: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Env = field(default_factory=Env)
    logging: Logging = field(default_factory=Logging)
    proxy: Proxy | None = None
    asset_path: str | None = None
    stop_timeout: int | None = None

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(host.name for host in self.hosts)

    @property
    def primary_host(self) -> str | None:
        return self.hosts[0].name if self.hosts else None

    @property
    def proxied(self) -> bool:
        return self.proxy is not None

    @property
    def assets(self) -> AssetPath | None:
        """The role's bridged assets: only a proxied role has them (Kamal's `assets?`), since
        only its versions serve requests side by side."""
        if self.asset_path is None or not self.proxied:
            return None
        return AssetPath.parse(self.asset_path)
