"""Removing an app from its servers: containers, images, env files, its routes, and the proxy
only when no other app is routed through it (Kamal's keeps it while other apps have a folder in
~/.kamal/apps).

    done = remove_app(session)        # `app remove`: {host: what happened to the proxy}
    done = remove_everything(session) # `remove`: the accessories too, then each host tidied:
                                      # logged out of the registries, the network and folders
                                      # nothing uses any more removed, what stays listed

What `remove` leaves on purpose, a line each on its host: the proxy while other apps are
routed through it (their routes named), the proxy's data volume (its TLS certificates and
ACME account), the proxy image where another container uses it, the network while other
containers are on it, the audit log, the accessories' backups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from dockyard.commands import app as app_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands import registry as registry_commands
from dockyard.commands import remove as commands
from dockyard.commands.backup import BackupPlace
from dockyard.config.model import Registry
from dockyard.config.objects import Config
from dockyard.errors import stderr_gist
from dockyard.plan.accessory import route_name
from dockyard.plan.from_config import Selection, certificate_file, proxy_settings
from dockyard.plan.targets import accessory_hosts, app_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories import lifecycle
from dockyard.workflows.accessories.manage import context_for, on_accessories_over
from dockyard.workflows.cron import scheduler as cron_scheduler
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.lock import run_locked
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import tidy as swarm_tidy

PROXY_KEPT = "proxy kept for the other apps on it"
PROXY_REMOVED = "proxy removed (no other app used it)"


@dataclass(frozen=True)
class AppRemoval:
    proxy: str  # what happened to the proxy on the host
    kept: tuple[str, ...] = ()  # what stays on purpose, a line each


@dataclass(frozen=True)
class Removed:
    app: dict[str, str]  # host -> what happened to the proxy there
    accessories: dict[str, str]  # `host (accessory)` -> what was removed
    logged_out: dict[str, list[str]] = field(default_factory=dict)  # host -> how each logout went
    kept: dict[str, list[str]] = field(default_factory=dict)  # host -> what stays, a line each


def remove_app(session: Session) -> dict[str, str]:
    """`app remove`: the app from its selected hosts; only its routes leave the proxy. Under
    the deploy lock, as Kamal's (the lock lives outside the folders a removal takes). With
    backend: swarm, the app's stack and the edges."""
    if session.config.dockyard.backend == "swarm":
        return swarm_tidy.remove_app(session)

    async def work(transport: Transport) -> dict[str, str]:
        done = await _remove_app(session, transport, keep_proxy=True)
        return {host: removal.proxy for host, removal in done.items()}

    return run_locked(session, work)


def remove_everything(session: Session) -> Removed:
    """`remove`: the app, then its accessories with their data directories (their backups
    stay), the proxy too unless other apps are still routed through it; then on every host
    the registry logout (Kamal's), the network and folders nothing uses any more, and what
    stays on purpose. Under the deploy lock, as Kamal's. With backend: swarm, the stacks of
    the app and of the accessories, the edges and the overlay network; the swarm stays."""
    if session.config.dockyard.backend == "swarm":
        return _remove_from_swarm(session)

    async def work(transport: Transport) -> Removed:
        app = await _remove_app(session, transport, keep_proxy=False)
        accessories: dict[str, str] = {}
        if session.config.accessories:
            accessories = await on_accessories_over(
                session, transport, "all", lifecycle.remove_on_host
            )
        proxy_stays = {h for h, r in app.items() if r.proxy.startswith(PROXY_KEPT)}
        proxy_gone = {h for h, r in app.items() if r.proxy == PROXY_REMOVED}
        tidied = await _tidy_hosts(session, transport, proxy_stays, proxy_gone)
        kept = {h: [*(app[h].kept if h in app else ()), *tidied[h][1]] for h in tidied}
        logged_out = {h: registries for h, (registries, _) in tidied.items() if registries}
        return Removed({h: r.proxy for h, r in app.items()}, accessories, logged_out, kept)

    return run_locked(session, work)


def _remove_from_swarm(session: Session) -> Removed:
    contexts = [context_for(session, a) for a in session.config.accessories]

    async def work(transport: Transport) -> Removed:
        app, accessories, kept = await swarm_tidy.remove_everything_over(
            transport, session.config, contexts
        )
        return Removed(app, accessories, {}, kept)

    return run_locked(session, work)


async def _remove_app(
    session: Session, transport: Transport, *, keep_proxy: bool
) -> dict[str, AppRemoval]:
    config = session.config
    routes = [config.proxy_service_name(r.name) for r in config.proxy_roles]
    if not keep_proxy:  # `remove` takes the accessories too: the proxy goes if only they used it
        routes += [route_name(a) for a in config.accessories if a.proxy is not None]

    async def step(server: Server) -> AppRemoval:
        proxy = None
        if server.host in config.proxy_hosts:
            proxy = ProxyController(server, proxy_settings(config))
        return await remove_app_on_host(server, config, routes, proxy, keep_proxy=keep_proxy)

    hosts = app_hosts(config, session.selection)
    return await on_servers([Server(transport, h, config.runtime) for h in hosts], step)


async def remove_app_on_host(
    server: Server,
    config: Config,
    route_names: Sequence[str],
    proxy: ProxyController | None,
    *,
    keep_proxy: bool = False,
) -> AppRemoval:
    """Remove the app from one host; say what happened to the proxy. With keep_proxy (`app
    remove`) only the app's routes leave the proxy; else the proxy goes with its image when no
    other app is routed through it."""
    stopped = (
        await cron_scheduler.stop_on(server, config, runs_too=True) if config.dockyard.cron else []
    )
    said = f"; stopped its job runs still going: {', '.join(stopped)}" if stopped else ""
    filters = app_commands.label_filters(config.service, destination=config.destination)
    files = [f".dockyard/apps/{config.service_and_destination}",
             *(certificate_file(name) for name in route_names)]  # fmt: skip
    await server.run(
        commands.app_containers_images_files(server.engine, filters, config.service, files)
    )
    removal = await _remove_from_proxy(proxy, route_names, keep_proxy, server, config)
    return replace(removal, proxy=removal.proxy + said)


async def _remove_from_proxy(
    proxy: ProxyController | None, route_names: Sequence[str], keep_proxy: bool, server: Server,
    config: Config,
) -> AppRemoval:  # fmt: skip
    if proxy is None:
        return AppRemoval("no proxy")
    routes = await proxy.read_routes()
    ours = [r.name for r in routes if r.name in route_names]
    if ours:
        await proxy.apply(remove=ours)
    if keep_proxy:
        return AppRemoval("its routes left the proxy" if ours else "no route on the proxy")
    others = sorted(r.name for r in routes if r.name not in route_names)
    if others:
        return AppRemoval(f"{PROXY_KEPT} ({', '.join(others)})")
    return AppRemoval(PROXY_REMOVED, await _remove_proxy(server, config))


async def _remove_proxy(server: Server, config: Config) -> tuple[str, ...]:
    """The proxy container, its state and its image (kept, and said, while another container
    uses it); its data volume stays."""
    engine = server.engine
    running = await server.run(proxy_commands.image_of(engine), check=False)
    image = running.stdout.strip() or config.dockyard.proxy_image
    await server.run(proxy_commands.remove(engine))
    gone = await server.run(commands.image(engine, image), check=False)
    if gone.ok:
        return ()
    return (f"proxy image {image} kept: `{engine.name} image rm` says {stderr_gist(gone.stderr)}",)


async def _tidy_hosts(
    session: Session, transport: Transport, proxy_stays: set[str], proxy_gone: set[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """On every host of the removal: the registry logouts where dockyard logged in, the network
    where nothing is on it any more, the app's folders; then what stays on purpose.
    {host: (how each registry logout went; what stays)}."""
    config = session.config
    logins = _logins(config, session.selection)
    app_side = app_hosts(config, session.selection)
    accessory_side = [h for a in config.accessories for h in accessory_hosts(a, session.selection)]
    hosts = list(dict.fromkeys([*app_side, *accessory_side]))

    async def step(server: Server) -> tuple[list[str], list[str]]:
        logged_out = [await _logout(server, registry) for registry in logins.get(server.host, [])]
        kept = []
        if server.host not in proxy_stays:
            network = (await server.run(commands.network_if_unused(server.engine))).stdout
            if network.strip() == commands.NETWORK_IN_USE:
                kept.append(f"network {app_commands.NETWORK} kept: other containers are on it")
        await server.run(commands.app_folders(config.service_and_destination))
        return logged_out, kept + await _what_stays(server, config, server.host in proxy_gone)

    return await on_servers([Server(transport, h, config.runtime) for h in hosts], step)


def _logins(config: Config, selection: Selection) -> dict[str, list[str]]:
    """{host: the registries dockyard logs in to there}: the app's on the app's hosts (a deploy
    logs in there; Kamal's remove logs out of it), an accessory's own on the accessory's hosts
    (its boot logs in there)."""
    found: dict[str, list[str]] = {}

    def add(registry: Registry | None, hosts: Sequence[str]) -> None:
        if not registry or not (registry.server and registry.username and registry.password):
            return
        for host in [] if registry.local else hosts:
            servers = found.setdefault(host, [])
            if registry.server not in servers:
                servers.append(registry.server)

    add(config.registry, app_hosts(config, selection))
    for accessory in config.accessories:
        add(accessory.registry, accessory_hosts(accessory, selection))
    return found


async def _logout(server: Server, registry: str) -> str:
    """Kamal's logout. One that fails is said, not an error: Podman refuses to log out where
    it is not logged in (`registry logout` ran before), Docker does not mind."""
    done = await server.run(registry_commands.logout(server.engine, registry), check=False)
    if done.ok:
        return f"logged out of {registry}"
    return f"not logged out of {registry}: {stderr_gist(done.stderr)}"


async def _what_stays(server: Server, config: Config, proxy_gone: bool) -> list[str]:
    """The audit log, the accessories' backups on this host, and where the proxy went, its
    data volume: those of them that are there."""
    audit = app_commands.audit_log(config.service, config.destination)
    backups = {}
    for accessory in config.accessories:
        settings = config.backups_of(accessory.name)
        directory = BackupPlace(accessory, settings).directory if settings else None
        if directory is not None and server.host in accessory.hosts:
            backups[str(directory)] = accessory.name
    volumes = [proxy_commands.DATA_VOLUME] if proxy_gone else []
    probe = commands.present([audit, *backups], volumes, server.engine)
    found = set((await server.run(probe)).stdout.split("\n"))
    kept = []
    if proxy_commands.DATA_VOLUME in found:
        volume = proxy_commands.DATA_VOLUME
        kept.append(f"proxy data volume {volume} kept (its TLS certificates and ACME account): "
                    f"`{server.engine.name} volume rm {volume}` removes it")  # fmt: skip
    kept += [f"backups of {name} kept: {_shown(p)}" for p, name in backups.items() if p in found]
    if audit in found:
        kept.append(f"audit log kept: {_shown(audit)}")
    return kept


def _shown(path: str) -> str:
    return path if path.startswith("/") else f"~/{path}"
