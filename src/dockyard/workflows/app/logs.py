"""`app logs`, as Kamal's: each selected role's current container on each of its selected hosts
(a host with none of the selected roles is left out), or one container by id on each host.

    found = logs(session, LogQuery.kamal(grep="ERROR"))         # {host: {role: lines or None}}
    found = logs(session, LogQuery.kamal(), container="4f2a")    # {host: {"4f2a": lines or None}}
    argv = follow(session, LogQuery.kamal(follow=True))          # the system ssh, for os.execvp

None: the host has no running container of that role (or no such container); when no
selected host has one, NotFoundError.
"""

from __future__ import annotations

import asyncio

from dockyard.commands import app as app_commands
from dockyard.commands.base import Raw
from dockyard.commands.logs import LogQuery, container_logs, current_logs, service_logs
from dockyard.config.objects import Config
from dockyard.plan.targets import app_roles_on_hosts, follow_target, selected_app_hosts
from dockyard.workflows.app.manage import DEPLOY_IT
from dockyard.workflows.found import require_found
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.logs import read
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session
from dockyard.workflows.swarm import manage as swarm

Found = dict[str, list[str] | None]  # role (or container) -> its lines; None: no container
LIST_THEM = "`dockyard app containers` lists the app's"


def logs(session: Session, query: LogQuery, *, container: str | None = None) -> dict[str, Found]:
    """{host: {role: the lines}} in host order, roles in the config's order; with `container`,
    that container's lines on each selected app host. With backend: swarm, {first manager:
    {role: every task's lines}} (`docker service logs`)."""
    config = session.config
    if config.dockyard.backend == "swarm" and container is None:
        return swarm.logs(session, query)
    if container is not None:
        wanted = {h: {container: _command(config, query, None, container)}
                  for h in selected_app_hosts(config, session.selection)}  # fmt: skip
    else:
        wanted = {}
        for host, role in app_roles_on_hosts(config, session.selection):
            wanted.setdefault(host, {})[role] = _command(config, query, role, None)

    async def step(server: Server) -> Found:
        commands = wanted[server.host]
        found = await asyncio.gather(*(read(server, c) for c in commands.values()))
        return dict(zip(commands, found, strict=True))

    found = session.on_hosts(list(wanted), step)
    anywhere = {host: any(v is not None for v in roles.values()) for host, roles in found.items()}
    if container is not None:
        require_found(anywhere, f"no container {container}", LIST_THEM)
    else:
        roles = list(dict.fromkeys(r for roles in wanted.values() for r in roles))
        which = f"role{'s' if len(roles) > 1 else ''} {', '.join(roles)}"
        require_found(anywhere, f"{config.service} has no running container of {which}", DEPLOY_IT)
    return found


def follow(session: Session, query: LogQuery, *, container: str | None = None) -> list[str]:
    """The system ssh that follows the primary role's logs on the primary host (or the first
    selected host and role)."""
    host, role = follow_target(session.config, session.selection)
    command = _command(session.config, query, None if container else role, container)
    if session.config.dockyard.backend == "swarm" and container is None:
        host = session.run(lambda transport: swarm.manager_host(transport, session.config))
        command = service_logs(f"{session.config.stack_name}_{role}", query)
    return ssh_argv(session.config.ssh, host, command)


def _command(config: Config, query: LogQuery, role: str | None, container: str | None) -> Raw:
    if container is not None:
        return container_logs(config.runtime, container, query)
    filters = app_commands.label_filters(config.service, role, config.destination)
    return current_logs(config.runtime, filters, query)
