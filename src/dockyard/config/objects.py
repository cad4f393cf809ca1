"""Config: the whole validated configuration, with the names and values the deploy engine needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.config.backups import BackupSettings
from dockyard.config.model import Env, Logging, Proxy, Registry, Role
from dockyard.config.settings import Accessory, Boot, Builder, Dockyard, Output, Ssh, Sshkit
from dockyard.engine import Engine, engine_named


@dataclass(frozen=True)
class Config:
    service: str
    image: str
    version: str
    registry: Registry
    roles: tuple[Role, ...]
    builder: Builder
    destination: str | None = None
    primary_role_name: str = "web"
    env: Env = field(default_factory=Env)
    env_tags: Mapping[str, Env] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    logging: Logging = field(default_factory=Logging)
    proxy: Proxy | None = None
    accessories: tuple[Accessory, ...] = ()
    ssh: Ssh = field(default_factory=Ssh)
    sshkit: Sshkit = field(default_factory=Sshkit)
    boot: Boot = field(default_factory=Boot)
    aliases: Mapping[str, str] = field(default_factory=dict)
    output: Output = field(default_factory=Output)
    hooks_path: str = ".kamal/hooks"
    hooks_output: str | Mapping[str, str] | None = None
    secrets_path: str = ".kamal/secrets"
    error_pages_path: str | None = None
    asset_path: str | None = None
    require_destination: bool = False
    allow_empty_roles: bool = False
    retain_containers: int = 5
    minimum_version: str | None = None
    readiness_delay: int = 7
    deploy_timeout: int = 30
    drain_timeout: int = 30
    run_directory: str = ".kamal"
    dockyard: Dockyard = field(default_factory=Dockyard)
    # The app image is taken as it is, never built (as with -P): a Compose project whose app
    # service has an image and no build: (loading/compose.py).
    prebuilt_image: bool = False
    # Keys set that dockyard does not act on, one line each (config/unsupported.py): shown once,
    # when the config loads.
    warnings: tuple[str, ...] = ()
    # The validated map as written: for config/ alone (Kamal's printout, its cross-key checks).
    # Everything else reads the typed fields above; a layering test keeps it that way.
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # --- names ---------------------------------------------------------------------------------
    @property
    def service_and_destination(self) -> str:
        return "-".join(part for part in (self.service, self.destination) if part)

    @property
    def swarm_network(self) -> str:
        """The attachable overlay network of a swarm backend (`x-dockyard/swarm/network`)."""
        return self.dockyard.swarm.network or f"{self.service_and_destination}-swarm"

    @property
    def stack_name(self) -> str:
        """The Swarm stack of the app: its services are <stack>_<role>."""
        return self.service_and_destination

    def container_name(self, role: str, version: str | None = None) -> str:
        """`<service>-<role>[-<destination>]-<version>`."""
        return f"{self.proxy_service_name(role)}-{version or self.version}"

    def proxy_service_name(self, role: str) -> str:
        """`<service>-<role>[-<destination>]`: the name a role is routed under."""
        return "-".join(part for part in (self.service, role, self.destination) if part)

    @property
    def repository(self) -> str:
        return "/".join(part for part in (self.registry.server, self.image) if part)

    @property
    def absolute_image(self) -> str:
        return f"{self.repository}:{self.version}"

    def role_image(self, role: str) -> str:
        """The image a role's containers run at this version: the role's own repository
        (`x-dockyard/images`, in the app's registry), else the app's."""
        own = self.dockyard.role_images.get(role)
        if own is None:
            return self.absolute_image
        return f"{'/'.join(part for part in (self.registry.server, own) if part)}:{self.version}"

    @property
    def build_cache_image(self) -> str:
        """Kamal's registry build cache: `<registry server>/<cache image>`, the cache image
        being builder.cache.image, else `<image>-build-cache`."""
        image = self.builder.cache.get("image") or f"{self.image}-build-cache"
        return "/".join(part for part in (self.registry.server, image) if part)

    @property
    def latest_tag(self) -> str:
        return "-".join(part for part in ("latest", self.destination) if part)

    @property
    def latest_image(self) -> str:
        return f"{self.repository}:{self.latest_tag}"

    @property
    def service_with_version(self) -> str:
        return f"{self.service}-{self.version}"

    @property
    def runtime(self) -> Engine:
        """The container engine on the servers (`x-dockyard.runtime`)."""
        return engine_named(self.dockyard.runtime)

    # --- roles and hosts -----------------------------------------------------------------------
    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    @property
    def primary_role(self) -> Role | None:
        return next((r for r in self.roles if r.name == self.primary_role_name), None)

    @property
    def primary_host(self) -> str | None:
        return self.primary_role.primary_host if self.primary_role else None

    @property
    def app_hosts(self) -> tuple[str, ...]:
        return _unique(h for role in self.roles for h in role.host_names)

    @property
    def all_hosts(self) -> tuple[str, ...]:
        """App hosts, then accessory hosts (Kamal's order)."""
        return _unique([*self.app_hosts, *(h for a in self.accessories for h in a.hosts)])

    def hosts_for_roles(self, names: list[str]) -> tuple[str, ...]:
        return _unique(h for role in self.roles if role.name in names for h in role.host_names)

    def hosts_with_tag(self, tag: str) -> tuple[str, ...]:
        return _unique(h.name for role in self.roles for h in role.hosts if tag in h.tags)

    @property
    def proxy_roles(self) -> tuple[Role, ...]:
        return tuple(role for role in self.roles if role.proxied)

    @property
    def proxy_hosts(self) -> tuple[str, ...]:
        accessory_hosts = (h for a in self.accessories if a.proxy for h in a.hosts)
        return _unique([*(h for r in self.proxy_roles for h in r.host_names), *accessory_hosts])

    def backups_of(self, accessory: str) -> BackupSettings | None:
        """The `x-dockyard/backups` settings of an accessory, if it has any."""
        return self.dockyard.backups.get(accessory)

    def accessory(self, name: str) -> Accessory:
        for accessory in self.accessories:
            if accessory.name == name:
                return accessory
        raise KeyError(name)

    # --- per-role values -----------------------------------------------------------------------
    def labels_for(self, role: str) -> dict[str, str]:
        """Kamal's reserved labels, then the root labels, then the role's.

        `destination` is always there, empty without a destination: Kamal sets it that way and
        finds its containers with the filter `label=destination=`.
        """
        reserved = {"service": self.service, "role": role, "destination": self.destination or ""}
        return {**reserved, **self.labels, **self.role(role).labels}

    def env_for(self, role: str, host: str | None = None) -> Env:
        """Root env, then the role's, then the env of each tag of the host, in the host's order."""
        found = self.role(role)
        env = self.env.merged(found.env)
        tags = next((h.tags for h in found.hosts if h.name == host), ())
        for tag in tags:
            if tag in self.env_tags:
                env = env.merged(self.env_tags[tag])
        return env

    def stop_timeout_for(self, role: str) -> int:
        """Role/root stop_timeout, else 10 s for proxied roles and drain_timeout for others."""
        found = self.role(role)
        if found.stop_timeout is not None:
            return found.stop_timeout
        return 10 if found.proxied else self.drain_timeout

    def hook_output(self, hook: str) -> str | None:
        """quiet, verbose, or None (decided by -q/-v) for one hook, from hooks_output."""
        if isinstance(self.hooks_output, Mapping):
            return self.hooks_output.get(hook)
        return self.hooks_output

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Every secret the config refers to by name (env, tags, roles, accessories, registry,
        builder, ssh key_data, proxy certificates), in first-use order."""
        envs = [self.env, *self.env_tags.values(), *(r.env for r in self.roles)]
        envs += [a.env for a in self.accessories]
        names = [name for env in envs for name in env.secret_names]
        registries = [self.registry, *(a.registry for a in self.accessories if a.registry)]
        names += [c.secret for r in registries for c in (r.username, r.password) if c and c.secret]
        names += [*self.builder.secrets, *(k for k in self.ssh.key_data if type(k) is str)]
        proxies = [r.proxy for r in self.roles] + [a.proxy for a in self.accessories]
        for proxy in proxies:
            if proxy and proxy.custom_certificate:
                cert = proxy.custom_certificate
                names += [cert.certificate_pem, cert.private_key_pem]
        return _unique(names)

    def boot_limit(self) -> int:
        return self.boot.limit_for(len(self.all_hosts))


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
