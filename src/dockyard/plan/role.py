"""The plan for booting one role on one host (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.commands.app import AppContainer
from dockyard.commands.assets import RoleAssets
from dockyard.commands.caddy_config import AppRoute, slot_alias
from dockyard.config.model import Healthcheck
from dockyard.redaction import Secret


@dataclass(frozen=True)
class RoleBoot:
    service: str
    role: str
    destination: str | None
    version: str
    container: AppContainer
    env_file_path: str  # relative to the remote home, mode 0600
    env_file: Secret  # the secrets, in Docker's env-file format
    route: AppRoute | None  # None for roles the proxy does not serve
    app_port: int = 80
    health: Healthcheck = field(default_factory=Healthcheck)  # path, interval, timeout
    health_key: str = "proxy/healthcheck/path"  # the keys that set the path and the port,
    port_key: str = "proxy/app_port"  # named when the check fails
    deploy_timeout: float = 30.0
    drain_timeout: float = 30.0
    stop_timeout: int | None = None
    readiness_delay: float = 7.0
    primary: bool = False
    restart_existing: bool = False  # rollback: start the stopped container of this version
    certificate_pem: Secret | None = None  # a custom certificate and its key, one PEM bundle
    certificate_path: str = ""  # where the bundle goes on the server (relative to the home)
    assets: RoleAssets | None = None  # bridged between versions (asset_path, proxied roles)

    @property
    def prefix(self) -> str:
        """Container names of this role are `<prefix><version>`."""
        destination = f"-{self.destination}" if self.destination else ""
        return f"{self.service}-{self.role}{destination}-"

    def slot_alias(self, slot: str) -> str:
        """The network alias of the container in this proxy slot (see caddy_config)."""
        if self.route is None:
            raise ValueError(f"{self.role} is not served by the proxy: it has no slots")
        return slot_alias(self.route.name, slot)
