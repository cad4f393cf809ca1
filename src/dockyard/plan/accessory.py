"""The proxy's part of a proxied accessory (`proxy:` in an accessory), from the config (pure).

An accessory runs one container and is not deployed blue/green, so its route dials the container
by name on the `kamal` network (`AppRoute.upstreams`) instead of through the two slots of an app
route. The route is named `accessory:<accessory service>`: the accessory's service name is its
container's, unique on a server, and an app route (`<service>-<role>[-<destination>]`) is the
prefix of a container name, which cannot hold a colon; so it never takes an app's route, even
for an accessory named like a role (service `shop`, accessory `web`: both `shop-web`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.commands.app import NETWORK
from dockyard.commands.caddy_config import AppRoute
from dockyard.config.model import Healthcheck
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.errors import ConfigError
from dockyard.plan.from_config import certificate_bundle, certificate_file, proxy_route
from dockyard.redaction import Secret

ROUTE_PREFIX = "accessory:"


@dataclass(frozen=True)
class AccessoryProxy:
    """What routing one accessory through the proxy needs on each of its hosts."""

    container: str  # the accessory's container, health-checked and dialled by this name
    route: AppRoute
    app_port: int
    health: Healthcheck  # path, interval, timeout
    timeout: float  # seconds to become healthy (deploy_timeout, as for the app)
    certificate_pem: Secret | None = None  # a custom certificate and its key, one PEM bundle
    certificate_path: str = ""  # where the bundle goes on the server (relative to the home)


def route_name(accessory: Accessory) -> str:
    return f"{ROUTE_PREFIX}{accessory.service_name}"


def accessory_proxy(
    config: Config, accessory: Accessory, secrets: Mapping[str, str]
) -> AccessoryProxy | None:
    """The accessory's route and health check; None when it is not proxied."""
    proxy = accessory.proxy
    if proxy is None:
        return None
    if accessory.network != NETWORK:
        raise ConfigError(
            f"a proxied accessory must be on the {NETWORK} network, where the proxy is "
            f"(it is on {accessory.network}); remove `network` or the accessory's `proxy`",
            key=f"accessories/{accessory.name}/network",
        )
    name = route_name(accessory)
    route = proxy_route(config, name, proxy)
    bundle = certificate_bundle(proxy, secrets)
    return AccessoryProxy(
        container=accessory.service_name,
        route=route.with_upstreams([f"{accessory.service_name}:{proxy.app_port}"]),
        app_port=proxy.app_port,
        health=proxy.healthcheck,
        timeout=float(config.deploy_timeout),
        certificate_pem=bundle,
        certificate_path=certificate_file(name) if bundle else "",
    )
