"""`app exec` in a new container with x-dockyard/backend: swarm (`--reuse`: tidy.py runs it in a
task's container): on the first manager, a one-off container of the image the role's service
runs (or --version's), on the app's overlay network, with the role's env (plan/swarm_exec.py),
removed when the command ends, as Kamal's `app exec` runs one; with --detach, left running
(and kept once it ended, for its logs). Its env file is removed when the command ends, or once
the detached container started.

    results = run_in_new(session, "web", "bin/rails db:migrate", {"A": "1"}, None)  # {host: Result}
    argv = interactive_in_new(session, "web", "bin/rails console", {}, None)   # the system ssh
    started = start_detached(session, "web", "bin/jobs drain", {}, None)   # a Detached
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dockyard.commands import app_exec
from dockyard.commands import swarm as commands
from dockyard.commands.app import make_dirs
from dockyard.commands.base import Raw, all_of, write_stdin
from dockyard.config.objects import Config
from dockyard.errors import NotFoundError, Result
from dockyard.plan.swarm import secret_names
from dockyard.plan.swarm_exec import exec_container
from dockyard.redaction import Secret
from dockyard.ssh.transport import Transport
from dockyard.workflows.detached import Detached
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session, token
from dockyard.workflows.swarm.manage import first_manager, swarm_config

UNCHANGED = "nothing was changed"


async def prepare_new(
    transport: Transport,
    config: Config,
    secrets: Mapping[str, str],
    role: str,
    command: str,
    env: Mapping[str, str],
    *,
    version: str | None,
    interactive: bool = False,
    detach: bool = False,
) -> tuple[Server, str, Raw]:
    """The first manager, the new container's name and the command that runs `command` there
    in it, the role's env file written first (0600) and removed when that command ends."""
    manager = await first_manager(transport, config)
    service = f"{config.stack_name}_{role}"
    if version:
        image = replace(config, version=version).absolute_image
    else:
        with manager.step(f"reading the image of {service}", UNCHANGED):
            image = (await manager.run(commands.service_image(service))).stdout.strip()
        if not image:
            raise NotFoundError(f"{manager.host}: {service} has no image; deploy it first")
    name = f"{config.proxy_service_name(role)}-exec-{token()}"
    run = exec_container(config, next(r for r in config.roles if r.name == role), image,
                         secrets, name)  # fmt: skip
    path = run.container.env_file or ""
    with manager.step(f"writing the env file of {role}", UNCHANGED):
        await manager.run(
            all_of(make_dirs(path.rsplit("/", 1)[0]), write_stdin(path)), input=run.env_file
        )
    remote = app_exec.in_new_container(
        config.runtime, run.container, name, command,
        env=env, interactive=interactive, detach=detach,
    )  # fmt: skip
    return manager, name, app_exec.removing_on_exit(path, remote)


def _secrets(session: Session, config: Config) -> dict[str, Secret]:
    return session.secret_values(secret_names(config))


def run_in_new(
    session: Session, role: str, command: str, env: Mapping[str, str], version: str | None
) -> dict[str, Result]:
    """`app exec` without --reuse on the swarm: {the first manager: what the command printed
    and its exit status}."""
    config = swarm_config(session)
    secrets = _secrets(session, config)

    async def work(transport: Transport) -> dict[str, Result]:
        host, _, remote = await prepare_new(
            transport, config, secrets, role, command, env, version=version
        )
        return {host.host: await host.run(remote, check=False)}

    return session.run(work)


def start_detached(
    session: Session, role: str, command: str, env: Mapping[str, str], version: str | None
) -> Detached:
    """`app exec --detach` on the swarm: the new container started on the first manager and
    left running; a container that does not start is StepFailed naming the manager."""
    config = swarm_config(session)
    secrets = _secrets(session, config)

    async def work(transport: Transport) -> Detached:
        host, name, remote = await prepare_new(
            transport, config, secrets, role, command, env, version=version, detach=True
        )
        with host.step(f"starting {name}", "no container was started"):
            started = await host.run(remote)
        return Detached(host.host, name, started.stdout.strip(), config.runtime.name)

    return session.run(work)


def interactive_in_new(
    session: Session, role: str, command: str, env: Mapping[str, str], version: str | None
) -> list[str]:
    """The system ssh with a TTY that runs the command in a new container on the first
    manager, the role's env file written there first."""
    config = swarm_config(session)
    secrets = _secrets(session, config)

    async def work(transport: Transport) -> tuple[str, Raw]:
        host, _, remote = await prepare_new(
            transport, config, secrets, role, command, env, version=version, interactive=True
        )
        return host.host, remote

    host, remote = session.run(work)
    return ssh_argv(config.ssh, host, remote, tty=True)
