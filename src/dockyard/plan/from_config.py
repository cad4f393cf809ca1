"""DeployPlan from a validated Config and the resolved secret values (pure).

Random parts (the container hostname suffix) and the performer come in as arguments, so the
same inputs always give the same plan.
"""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from dockyard.commands import proxy as proxy_commands
from dockyard.commands.app import AppContainer
from dockyard.commands.assets import RoleAssets, mount_options
from dockyard.commands.caddy_config import ADMIN_DIR, AppRoute, ProxySettings
from dockyard.commands.envfile import env_file, optionize
from dockyard.commands.proxy import ProxyContainer
from dockyard.config.model import Healthcheck, Logging, Proxy, ProxyRun, Role
from dockyard.config.objects import Config
from dockyard.plan.balancer import trusted_edges
from dockyard.plan.cron_target import cron_target
from dockyard.plan.deploy import DeployPlan, HostBoot
from dockyard.plan.role import RoleBoot
from dockyard.redaction import Secret

SSHKIT_GROUP_WAIT = 2.0  # what Kamal's group runner waits between groups when boot.wait is unset


@dataclass(frozen=True)
class Selection:
    """Kamal's -h/-r/-p filters."""

    hosts: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    primary: bool = False

    def role_ok(self, role: str) -> bool:
        return not self.roles or any(fnmatch.fnmatchcase(role, p) for p in self.roles)

    def host_ok(self, host: str) -> bool:
        return not self.hosts or any(fnmatch.fnmatchcase(host, p) for p in self.hosts)

    def describe(self) -> str:
        """The options as given: `--hosts 10.0.0.1 --roles web`."""
        given = [("--hosts", self.hosts), ("--roles", self.roles)]
        return " ".join(f"{flag} {','.join(names)}" for flag, names in given if names)


def env_file_path(config: Config, role: str) -> str:
    return f".dockyard/apps/{config.service_and_destination}/env/roles/{role}.env"


def role_assets(config: Config, role: Role) -> RoleAssets | None:
    """Where the role's bridged assets live on a server (None: the role has none)."""
    asset_path = role.assets
    if asset_path is None:
        return None
    directory = f".dockyard/apps/{config.service_and_destination}/assets/{role.name}"
    path = asset_path.path.rstrip("/")
    return RoleAssets(directory, path, mount_options(asset_path.options))


def app_container(
    config: Config, role: Role, host: str, token: str, assets: RoleAssets | None
) -> AppContainer:
    """The role's container of this version on this host."""
    name = config.container_name(role.name)
    kamal_env = {"KAMAL_CONTAINER_NAME": name, "KAMAL_VERSION": config.version, "KAMAL_HOST": host}
    if config.destination:
        kamal_env["KAMAL_DESTINATION"] = config.destination
    options = dict(role.options)
    restart = str(options.pop("restart", "unless-stopped"))
    asset_volume = (assets.mount(config.version),) if assets else ()
    return AppContainer(
        name=name,
        image=config.role_image(role.name),
        hostname=f"{host[:50]}-{token}",
        labels=config.labels_for(role.name),
        env={**kamal_env, **config.env_for(role.name, host).clear},
        env_file=env_file_path(config, role.name),
        volumes=(*config.volumes, *asset_volume),
        options=optionize(options),
        log_options=_log_args(config.logging.merged(role.logging)),
        command=shlex.split(role.cmd) if role.cmd else (),
        restart=restart,
    )


def role_boot(
    config: Config, role: Role, host: str, secrets: Mapping[str, str], token: str
) -> RoleBoot:
    env = config.env_for(role.name, host)
    assets = role_assets(config, role)
    container = app_container(config, role, host, token, assets)
    values = {ref.env_name: secrets[ref.secret_name] for ref in env.secrets}
    proxy = role.proxy
    route_name = config.proxy_service_name(role.name)
    # behind the load balancer the edges terminate TLS (plan/edge_tls.py), not the web hosts
    behind_edges = config.dockyard.load_balancer is not None
    bundle = certificate_bundle(proxy, secrets) if proxy and not behind_edges else None
    return RoleBoot(
        service=config.service,
        role=role.name,
        destination=config.destination,
        version=config.version,
        container=container,
        env_file_path=env_file_path(config, role.name),
        env_file=Secret(env_file(values)),
        route=web_route(config, route_name, proxy) if proxy else None,
        certificate_pem=bundle,
        certificate_path=certificate_file(route_name) if bundle else "",
        app_port=proxy.app_port if proxy else 80,
        health=_health(proxy),
        health_key=_set_by(config, role, "healthcheck/path", lambda p: p.healthcheck.path),
        port_key=_set_by(config, role, "app_port", lambda p: p.app_port),
        deploy_timeout=config.deploy_timeout,
        drain_timeout=config.drain_timeout,
        stop_timeout=config.stop_timeout_for(role.name),
        readiness_delay=config.readiness_delay,
        primary=role.name == config.primary_role_name,
        assets=assets,
    )


def _health(proxy: Proxy | None) -> Healthcheck:
    return proxy.healthcheck if proxy is not None else Healthcheck()


def _set_by(config: Config, role: Role, key: str, value: Callable[[Proxy], object]) -> str:
    """The config key that sets a proxy setting of the role: the role's own (its proxy map is
    merged over the root's) where its value differs from the root's, else the root's."""
    root = config.proxy or Proxy()
    own = role.proxy is not None and value(role.proxy) != value(root)
    return f"servers/{role.name}/proxy/{key}" if own else f"proxy/{key}"


def certificate_file(route_name: str) -> str:
    """A custom certificate's PEM bundle on the server, relative to the home (0600)."""
    return f"{proxy_commands.STATE_DIR}/certs/{route_name}.pem"


def certificate_bundle(proxy: Proxy, secrets: Mapping[str, str]) -> Secret | None:
    """A custom certificate and its key as one PEM (None without one): Go's key-pair loader
    skips the blocks it does not need, so one file holds both."""
    cert = proxy.custom_certificate
    if cert is None:
        return None
    pem, key = secrets[cert.certificate_pem].strip(), secrets[cert.private_key_pem].strip()
    return Secret(f"{pem}\n{key}\n")


def web_route(config: Config, name: str, proxy: Proxy) -> AppRoute:
    """A role's route on its web hosts' proxies: plain HTTP behind the load balancer's edges,
    which terminate TLS and which the proxies trust with X-Forwarded-*."""
    route = proxy_route(config, name, proxy, edges=trusted_edges(config))
    if config.dockyard.load_balancer is None:
        return route
    return replace(route, ssl=False, certificate=None)


def proxy_route(
    config: Config, name: str, proxy: Proxy, *, edges: tuple[str, ...] = ()
) -> AppRoute:
    """The route named `name` for a role's (or an accessory's) proxy settings; `edges`: the
    load balancer edges in front of it (plan/balancer.py)."""
    buffering = proxy.buffering
    inside = f"{ADMIN_DIR}/certs/{name}.pem"  # the state dir as Caddy sees it
    return AppRoute(
        name=name,
        app=config.service_and_destination,
        certificate=(inside, inside) if proxy.custom_certificate else None,
        port=proxy.app_port,
        hosts=proxy.hosts,
        path_prefixes=proxy.path_prefixes,
        strip_path_prefix=proxy.strip_path_prefix,
        ssl=proxy.ssl,
        ssl_redirect=proxy.ssl_redirect,
        forward_headers=proxy.forward_headers,
        response_timeout=proxy.response_timeout,
        max_request_body=buffering.max_request_body if buffering.requests else 0,
        buffer_requests=buffering.requests,
        buffer_responses=buffering.responses,
        drain_timeout=config.drain_timeout,
        edges=edges,
    )


def _log_args(logging: Logging) -> list[str]:
    args = ["--log-driver", logging.driver] if logging.driver else []
    for key, value in logging.effective_options.items():
        args += ["--log-opt", f"{key}={value}"]
    return args


def deploy_plan(
    config: Config,
    secrets: Mapping[str, str],
    *,
    selection: Selection = Selection(),
    token: str = "0",
    performer: str = "unknown",
    hooks_root: str = ".",
) -> DeployPlan:
    by_host: dict[str, list[RoleBoot]] = {}
    roles = [r for r in config.roles if selection.role_ok(r.name)]
    primary = config.primary_role
    ordered = sorted(roles, key=lambda r: r is not primary)  # the primary role boots first
    for role in ordered:
        # -p: Kamal's primary host only (the primary role's first host), every role on it
        primary_only = [h for h in role.host_names if h == config.primary_host]
        hosts = primary_only if selection.primary else role.host_names
        for host in hosts:
            if selection.host_ok(host):
                by_host.setdefault(host, []).append(role_boot(config, role, host, secrets, token))
    host_boots = [HostBoot(h, tuple(boots)) for h, boots in by_host.items()]
    # Kamal: a percentage is of every host of the config (accessories too), at least 1
    limit = config.boot_limit() or 1
    groups = tuple(tuple(host_boots[i : i + limit]) for i in range(0, len(host_boots), limit))
    proxied = {h.host for h in host_boots if any(b.route for b in h.roles)}
    proxy_hosts = tuple(h for h in config.proxy_hosts if h in proxied)
    return DeployPlan(
        service=config.service,
        destination=config.destination,
        version=config.version,
        engine=config.runtime,
        image=config.absolute_image,
        latest_image=config.latest_image,
        primary_host=config.primary_host or (host_boots[0].host if host_boots else ""),
        groups=groups,
        proxy_hosts=proxy_hosts,
        proxy_containers={h: proxy_container(config, h) for h in proxy_hosts},
        proxy_settings=proxy_settings(config),
        boot_wait=_boot_wait(config),
        parallel_roles=config.boot.parallel_roles,
        retain_containers=config.retain_containers,
        hooks_path=f"{hooks_root.rstrip('/')}/{config.hooks_path}",
        roles_filter=selection.roles,
        performer=performer,
        cron=cron_target(config),
    )


def _boot_wait(config: Config) -> float:
    """Seconds between boot groups: boot.wait, else SSHKit's 2 s when a limit makes groups."""
    if config.boot.wait is not None:
        return float(config.boot.wait)
    return SSHKIT_GROUP_WAIT if config.boot.limit is not None else 0.0


def _proxy_runs_on(config: Config, host: str) -> list[ProxyRun]:
    """proxy/run of what the proxy on this host serves: its roles', then its accessories'
    (config/checks.py makes all those on one host agree)."""
    roles = [r.proxy.run for r in config.proxy_roles if r.proxy and host in r.host_names]
    accessories = [a.proxy.run for a in config.accessories if a.proxy and host in a.hosts]
    return roles + accessories


def proxy_container(config: Config, host: str) -> ProxyContainer:
    """How the proxy runs on this host: as proxy/run of what it serves there says (the roles
    and accessories on other hosts may run theirs differently)."""
    runs = _proxy_runs_on(config, host)
    if not runs:
        return ProxyContainer(image=config.dockyard.proxy_image)
    run = runs[0]
    publish: tuple[str, ...] = ()
    if run.publish:
        ips = run.bind_ips or ("",)
        publish = tuple(
            f"{ip + ':' if ip else ''}{port}:{inner}"
            for ip in ips
            for port, inner in ((run.http_port, 80), (run.https_port, 443))
        ) + tuple(f"{ip + ':' if ip else ''}{run.https_port}:443/udp" for ip in ips)
    return ProxyContainer(
        image=config.dockyard.proxy_image,
        publish=publish,
        options=optionize(dict(run.options)),
        log_max_size=run.log_max_size,
    )


def proxy_settings(config: Config) -> ProxySettings:
    # Caddy listens on 80/443 inside its container; proxy.run's ports are where they're published.
    dockyard = config.dockyard
    return ProxySettings(tls_issuer=dockyard.tls_issuer, acme_email=dockyard.acme_email)
