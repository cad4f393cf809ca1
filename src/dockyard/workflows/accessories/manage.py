"""`accessory …` on each selected accessory's hosts, as the CLI runs them.

    outcomes = on_accessories(session, "all", lifecycle.reboot_on_host)   # {"host (db)": ...}
    lines = logs(session, "db", LogQuery.kamal(grep="ERROR"))
    argv = interactive(session, "db", ["psql"], reuse=True)   # the system ssh, for os.execvp

Results are keyed by host, or `host (accessory)` when the command runs on several accessories.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from dockyard.commands import accessory as commands
from dockyard.commands import swarm as swarm_commands
from dockyard.commands.base import Cmd
from dockyard.commands.logs import LogQuery, container_logs, service_logs
from dockyard.config.settings import Accessory
from dockyard.plan import routes
from dockyard.plan.swarm_accessory import on_swarm as swarm_accessory
from dockyard.plan.targets import accessory_hosts, first_accessory_host
from dockyard.ssh.transport import Transport
from dockyard.workflows.accessories import booting, lifecycle
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups.backup import backup_freshness
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.found import require_found, require_present
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.lock import command_lock, run_locked
from dockyard.workflows.logs import read
from dockyard.workflows.proxy.ownership import refuse_taken_routes
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import accessories as swarm
from dockyard.workflows.swarm import accessory_control as swarm_control
from dockyard.workflows.swarm import manage as swarm_manage

T = TypeVar("T")
Step = Callable[[Server, AccessoryContext], Awaitable[T]]


def context_for(
    session: Session, accessory: Accessory, *, take_over_routes: bool = False
) -> AccessoryContext:
    """With backend: swarm, the accessory as the swarm runs it (on the app's overlay)."""
    secrets = session.secret_values(lifecycle.secret_names(session.config, [accessory.name]))
    if on_swarm(session):
        accessory = swarm_accessory(session.config, accessory)
    return AccessoryContext(session.config, accessory, secrets, session.root, take_over_routes)


def on_swarm(session: Session) -> bool:
    return session.config.dockyard.backend == "swarm"


def swarm_contexts(session: Session, name: str) -> list[AccessoryContext]:
    """Each selected accessory whose host is selected (-H), as the swarm runs it."""
    chosen = lifecycle.selected(session.config, name)
    return [context_for(session, a) for a in chosen if hosts_of(session, a)]


def hosts_of(session: Session, accessory: Accessory) -> list[str]:
    return accessory_hosts(accessory, session.selection)


async def on_accessories_over(
    session: Session,
    transport: Transport,
    name: str,
    step: Step[T],
    *,
    take_over_routes: bool = False,
) -> dict[str, T]:
    """step on every host of each selected accessory (`all`, or one by name), one accessory
    after the other."""
    chosen = lifecycle.selected(session.config, name)
    results: dict[str, T] = {}
    for accessory in chosen:
        actx = context_for(session, accessory, take_over_routes=take_over_routes)

        async def one(server: Server, actx: AccessoryContext = actx) -> T:
            return await step(server, actx)

        servers = [
            Server(transport, h, session.config.runtime) for h in hosts_of(session, accessory)
        ]
        found = await on_servers(servers, one)
        label = f" ({accessory.name})" if len(chosen) > 1 else ""
        results.update({f"{host}{label}": value for host, value in found.items()})
    return results


def on_accessories(session: Session, name: str, step: Step[T]) -> dict[str, T]:
    return session.run(lambda transport: on_accessories_over(session, transport, name, step))


def on_accessories_locked(session: Session, name: str, step: Step[T]) -> dict[str, T]:
    """on_accessories under the deploy lock, for a step that changes the servers (Kamal's)."""
    return run_locked(session, lambda t: on_accessories_over(session, t, name, step))


def on_routed_accessories(
    session: Session, name: str, step: Step[T], *, take_over_routes: bool
) -> dict[str, T]:
    """on_accessories for a step that routes a proxied accessory: unless take_over_routes,
    the routes of every selected accessory on every host are checked first, before anything
    changes on any server (workflows/proxy/ownership.py), then the step runs under the deploy
    lock."""

    async def work(transport: Transport) -> dict[str, T]:
        await routes_free(session, transport, name, take_over_routes=take_over_routes)
        async with command_lock(session, transport):
            return await on_accessories_over(
                session, transport, name, step, take_over_routes=take_over_routes
            )

    return session.run(work)


async def routes_free(
    session: Session, transport: Transport, name: str, *, take_over_routes: bool
) -> None:
    """Unless take_over_routes, refuse a selected accessory's route that would take what
    another app's route serves on its hosts, before anything changes on any server."""
    if not take_over_routes:
        chosen = [context_for(session, a) for a in lifecycle.selected(session.config, name)]
        ours = routes.merged(*(c.routes_on(hosts_of(session, c.accessory)) for c in chosen))
        await refuse_taken_routes(transport, session.config.runtime, ours)


def boot(
    session: Session, name: str, *, take_over_routes: bool = False
) -> list[booting.BootOutcome]:
    """Where its container does not run: files, env file, run (and its backup schedule). The
    routes are checked first and the boots run under the deploy lock (as on_routed_accessories);
    every selected accessory is tried on each host: an outcome each, booted or failed (see
    booting.failures). With backend: swarm, each a service pinned to its host."""
    if on_swarm(session):
        contexts = swarm_contexts(session, name)
        return run_locked(session, lambda t: swarm.boot_all(t, contexts))

    async def work(transport: Transport) -> list[booting.BootOutcome]:
        await routes_free(session, transport, name, take_over_routes=take_over_routes)
        outcomes: list[booting.BootOutcome] = []
        async with command_lock(session, transport):
            for accessory in lifecycle.selected(session.config, name):
                ctx = context_for(session, accessory, take_over_routes=take_over_routes)
                servers = [Server(transport, h, ctx.engine) for h in hosts_of(session, accessory)]
                outcomes += await booting.boot_on(servers, ctx)
        return outcomes

    return session.run(work)


def reboot(session: Session, name: str, *, take_over_routes: bool = False) -> dict[str, str]:
    """Stop, remove, pull and boot again; the data stays (also Kamal's `upgrade`). With
    backend: swarm, its stack removed and booted again, under the deploy lock."""
    if on_swarm(session):
        return _on_swarm_locked(session, name, "reboot")
    return on_routed_accessories(
        session, name, lifecycle.reboot_on_host, take_over_routes=take_over_routes
    )


def control(
    session: Session, name: str, verb: str, *, take_over_routes: bool = False
) -> dict[str, str]:
    """`start`, `stop` or `restart` the existing container (start and restart route it).
    With backend: swarm, its service scaled to 1 or 0, or given a new task, under the deploy
    lock (workflows/swarm/accessory_control.py)."""
    if on_swarm(session):
        return _on_swarm_locked(session, name, verb)

    async def step(server: Server, actx: AccessoryContext) -> str:
        return await lifecycle.verb_on_host(server, actx, verb)

    if verb == "stop":
        return on_accessories_locked(session, name, step)
    return on_routed_accessories(session, name, step, take_over_routes=take_over_routes)


def _on_swarm_locked(session: Session, name: str, verb: str) -> dict[str, str]:
    contexts = swarm_contexts(session, name)
    return run_locked(session, lambda t: swarm_control.control_all(t, contexts, verb))


@dataclass(frozen=True)
class DataDir:
    accessory: str
    path: str  # relative to the home
    hosts: list[str]


def data_dirs(session: Session, name: str) -> list[DataDir]:
    """Where `remove` deletes each selected accessory's data (before asking)."""
    return [
        DataDir(a.name, commands.data_dir(a), hosts_of(session, a))
        for a in lifecycle.selected(session.config, name)
    ]


def remove(session: Session, name: str) -> dict[str, str]:
    """Container, image and data directory; the backups stay. With backend: swarm, its stack
    (service and secret) first."""
    if on_swarm(session):
        contexts = swarm_contexts(session, name)
        return run_locked(session, lambda t: swarm.remove_all(t, contexts))
    return on_accessories_locked(session, name, lifecycle.remove_on_host)


def details(session: Session, name: str) -> dict[str, list[str]]:
    """The containers, and how fresh the backups are (NotFoundError when no selected host
    has a container of the accessory, or of any with `all`)."""
    containers: dict[str, list[str]] = {}

    async def step(server: Server, actx: AccessoryContext) -> list[str]:
        lines = await lifecycle.details_on_host(server, actx)
        containers.setdefault(server.host, []).extend(lines)
        return lines + await backup_freshness(server, actx)

    found = on_accessories(session, name, step)
    require_found(containers, _no_container(name), _boot_it(name))
    return found


def _no_container(name: str) -> str:
    return "no accessory has a container" if name == "all" else f"{name} has no container"


def _boot_it(name: str) -> str:
    return f"boot it with `dockyard accessory boot {name}`"


def logs(session: Session, name: str, query: LogQuery) -> dict[str, list[str]]:
    """The accessory's logs on each of its hosts. NotFoundError when no selected host has its
    container. With backend: swarm, its service's lines, read on the first manager."""
    if on_swarm(session):
        contexts = swarm_contexts(session, name)
        found = session.run(lambda t: swarm.logs_all(t, contexts, query))
        return require_present(found, _no_container(name), _boot_it(name))
    accessory = lifecycle.find(session.config, name)
    command = container_logs(session.config.runtime, accessory.service_name, query)

    async def step(server: Server, actx: AccessoryContext) -> list[str] | None:
        return await read(server, command)

    return require_present(on_accessories(session, name, step), _no_container(name), _boot_it(name))


def follow_logs(session: Session, name: str, query: LogQuery) -> list[str]:
    """The system ssh that follows the logs on the accessory's first host (with backend:
    swarm, its service's on the first manager)."""
    accessory = lifecycle.find(session.config, name)
    if on_swarm(session):
        config = session.config
        host = session.run(lambda transport: swarm_manage.manager_host(transport, config))
        service = f"{accessory.service_name}_{accessory.name}"
        return ssh_argv(config.ssh, host, service_logs(service, query))
    command = container_logs(session.config.runtime, accessory.service_name, query)
    return ssh_argv(session.config.ssh, first_accessory_host(accessory, session.selection), command)


def run_command(
    session: Session, name: str, words: Sequence[str], *, reuse: bool = False
) -> dict[str, list[str]]:
    """The command in a new container of the accessory's image (or, with reuse, in the running
    one) on each host: {host: its output lines}. One word is split as a shell would (Kamal's).
    With backend: swarm, a new container joins the app's overlay network; --reuse runs it in
    its task's container on its host, the task's env exported first."""
    argv = _argv(words)
    if on_swarm(session) and reuse:
        contexts = swarm_contexts(session, name)
        return session.run(lambda t: swarm_control.exec_all(t, contexts, argv))

    async def step(server: Server, actx: AccessoryContext) -> list[str]:
        result = await server.run(_exec(actx, server.host, argv, reuse=reuse))
        return result.stdout.rstrip("\n").splitlines()

    return on_accessories(session, name, step)


def interactive(
    session: Session, name: str, words: Sequence[str], *, reuse: bool = False
) -> list[str]:
    """The system ssh with a TTY that runs the command on the accessory's first host."""
    accessory = lifecycle.find(session.config, name)
    host = first_accessory_host(accessory, session.selection)
    if on_swarm(session) and reuse:
        ctx = context_for(session, accessory)
        engine = ctx.engine

        async def find(transport: Transport) -> str:
            return await swarm_control.task_container_on(Server(transport, host, engine), ctx)

        container = session.run(find)
        remote = swarm_commands.exec_in_task(container, shlex.join(_argv(words)), {},
                                             interactive=True)  # fmt: skip
        return ssh_argv(session.config.ssh, host, remote, tty=True)
    command = _exec(context_for(session, accessory), host, _argv(words), reuse=reuse, tty=True)
    return ssh_argv(session.config.ssh, host, command, tty=True)


def _argv(words: Sequence[str]) -> list[str]:
    return shlex.split(words[0]) if len(words) == 1 else list(words)


def _exec(
    actx: AccessoryContext, host: str, argv: Sequence[str], *, reuse: bool, tty: bool = False
) -> Cmd:
    if reuse:
        return commands.exec_in_running(actx.engine, actx.name, argv, interactive=tty)
    return commands.exec_in_new(actx.engine, actx.run_spec(host), argv, interactive=tty)
