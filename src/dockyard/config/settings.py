"""Frozen settings sections: builder, ssh, sshkit, boot, output, accessories, x-dockyard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.config.backups import BackupSettings
from dockyard.config.cron_jobs import CronJob
from dockyard.config.load_balancer import LoadBalancer
from dockyard.config.model import Env, Proxy, Registry
from dockyard.config.swarm import Swarm

DEFAULT_PROXY_IMAGE = "caddy:2.11"


@dataclass(frozen=True)
class Builder:
    arch: tuple[str, ...]
    remote: str | None = None
    local: bool = True
    pack_builder: str | None = None
    buildpacks: tuple[str, ...] = ()
    cache: Mapping[str, str] = field(default_factory=dict)
    context: str | None = None
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    ssh: str | None = None
    driver: str = "docker-container"
    provenance: str | bool | None = None
    sbom: bool | None = None

    @property
    def git_clone(self) -> bool:
        """Kamal builds from a clean clone of HEAD unless a context is set."""
        return self.context is None


@dataclass(frozen=True)
class Ssh:
    user: str = "root"
    port: int = 22
    proxy: str | None = None
    proxy_command: str | None = None
    log_level: str = "fatal"
    keys_only: bool | None = None
    keys: tuple[str, ...] = ()
    key_data: tuple[str, ...] = ()  # secret names; an inline key (deprecated) is a Secret
    config: bool | str | tuple[str, ...] = True
    forward_agent: bool | None = None

    @property
    def key_data_secrets(self) -> tuple[str, ...]:
        """The key_data entries that name secrets (an inline key is kept as a Secret)."""
        return tuple(key for key in self.key_data if type(key) is str)

    @property
    def proxy_user_host(self) -> tuple[str, str] | None:
        """The jump host as (user, host); the user defaults to root as in Kamal."""
        if not self.proxy:
            return None
        user, _, host = self.proxy.rpartition("@")
        return (user or "root", host)


@dataclass(frozen=True)
class Sshkit:
    max_concurrent_starts: int = 30
    pool_idle_timeout: int = 900
    dns_retries: int = 3


@dataclass(frozen=True)
class Boot:
    limit: int | str | None = None
    wait: int | None = None
    parallel_roles: bool = False

    def limit_for(self, host_count: int) -> int:
        """Hosts per boot group: all, a number, or a percentage (at least 1), as Kamal does."""
        if self.limit is None:
            return host_count
        text = str(self.limit)
        if text.endswith("%"):
            return max(host_count * int(text[:-1]) // 100, 1)
        return int(text)


@dataclass(frozen=True)
class Output:
    """Where the log lines of a command that changes servers also go (Kamal 2.12's output):
    a file of its own in `file_path`, and OTLP HTTP log records to `otel_endpoint`."""

    file_path: str | None = None
    otel_endpoint: str | None = None


@dataclass(frozen=True)
class MountedPath:
    """An accessory file or directory: local source, path in the container, and extras."""

    local: str
    remote: str
    mode: str | None = None
    owner: str | None = None
    options: str | None = None


@dataclass(frozen=True)
class Accessory:
    name: str
    service_name: str
    image: str
    hosts: tuple[str, ...]
    registry: Registry | None = None
    cmd: str | None = None
    port: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    env: Env = field(default_factory=Env)
    files: tuple[MountedPath, ...] = ()
    directories: tuple[MountedPath, ...] = ()
    volumes: tuple[str, ...] = ()
    network: str = "kamal"
    proxy: Proxy | None = None

    @property
    def published_port(self) -> str | None:
        """`port` as docker --publish takes it: a bare port p becomes p:p."""
        if self.port is None:
            return None
        return self.port if ":" in self.port else f"{self.port}:{self.port}"


@dataclass(frozen=True)
class Dockyard:
    """dockyard's own settings, from the `x-dockyard:` section."""

    runtime: str = "docker"
    proxy_image: str = DEFAULT_PROXY_IMAGE
    tls_issuer: str = "acme"  # or "internal": Caddy's own CA
    acme_email: str | None = None
    delivery: str = "registry"  # or "ssh": registry-free transfer of the missing layers
    backups: Mapping[str, BackupSettings] = field(default_factory=dict)  # by accessory name
    load_balancer: LoadBalancer | None = None  # edges in front of the web hosts (opt-in)
    cron: Mapping[str, CronJob] = field(default_factory=dict)  # by job name
    backend: str = "ssh"  # or "swarm": a Docker Swarm made of the servers runs the app
    swarm: Swarm = field(default_factory=Swarm)
    role_images: Mapping[str, str] = field(default_factory=dict)  # role -> its own repository
