"""`app exec`: on each host, upload the role's current env file, then run the user's command in
a new container of the app's image (or, with reuse, in the running one). With backend: swarm,
in a new container on the first manager (workflows/swarm/execute.py), or in a running task's
container (workflows/swarm/tidy.py).

    results = run_everywhere(session, ["bin/rails", "db:migrate"], env=["A=1"])  # {host: Result}
    argv = interactive(session, ["bin/rails", "console"])   # the system ssh, for os.execvp
    started = start_detached(session, ["bin/jobs", "drain"])   # [Detached]: --detach
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from dockyard.commands import app_exec
from dockyard.commands.app import make_dirs
from dockyard.commands.base import Raw, all_of, write_stdin
from dockyard.config.objects import Config
from dockyard.errors import DockyardError, Result, UsageError
from dockyard.plan.from_config import role_boot
from dockyard.plan.targets import app_hosts
from dockyard.workflows.app.containers import running_versions
from dockyard.workflows.detached import Detached
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session, token
from dockyard.workflows.swarm import execute as swarm_execute
from dockyard.workflows.swarm import tidy as swarm_tidy

Prepare = Callable[[Server], Awaitable[Raw]]


@dataclass(frozen=True)
class ExecRequest:
    command: str  # shell text
    role: str
    env: Mapping[str, str]
    version: str | None = None  # None: the version the role runs on the host
    reuse: bool = False
    interactive: bool = False
    detach: bool = False


async def prepare(
    server: Server,
    config: Config,
    secrets: Mapping[str, str],
    request: ExecRequest,
    token: str,
) -> Raw:
    """The remote command for the request on this host, its env file written first (0600)."""
    engine = config.runtime
    if request.reuse:
        return app_exec.in_running_container(
            engine, config.service, request.role, config.destination, request.command,
            env=request.env, interactive=request.interactive,
        )  # fmt: skip
    version = request.version or (await running_versions(server, config)).get(request.role)
    if not version:
        raise DockyardError(
            f"{server.host}: no {request.role} container runs to take the version from; "
            "give --version to run the command in that version's image"
        )
    role = next(r for r in config.roles if r.name == request.role)
    boot = role_boot(replace(config, version=version), role, server.host, secrets, token)
    env_dir = boot.env_file_path.rsplit("/", 1)[0]
    await server.run(
        all_of(make_dirs(env_dir), write_stdin(boot.env_file_path)), input=boot.env_file
    )
    return app_exec.in_new_container(
        engine, boot.container, exec_name(config, request.role, token), request.command,
        env=request.env, interactive=request.interactive, detach=request.detach,
    )  # fmt: skip


def exec_name(config: Config, role: str, token: str) -> str:
    return f"{config.proxy_service_name(role)}-exec-{token}"


def run_everywhere(
    session: Session, words: Sequence[str], env: Sequence[str] = (), *, reuse: bool = False
) -> dict[str, Result]:
    """The command on every selected host of the role (-r, else the primary role), all at
    once; {host: what it printed and its exit status}. `env` holds KEY=VALUE pairs."""
    request, hosts = _request(session, words, env, reuse=reuse, interactive=False, detach=False)
    if _on_swarm(session):
        if not request.reuse:
            return swarm_execute.run_in_new(
                session, request.role, request.command, request.env, request.version
            )
        return swarm_tidy.run_in_task(session, request.role, request.command, request.env)
    prepare = _preparer(session, request, hosts, token())

    async def step(server: Server) -> Result:
        return await server.run(await prepare(server), check=False)

    return session.on_hosts(hosts, step)


def start_detached(
    session: Session, words: Sequence[str], env: Sequence[str] = ()
) -> list[Detached]:
    """`app exec --detach`: the command in a new container left running, on every selected
    host of the role (on the swarm, one on the first manager); a container that does not
    start fails its host's step."""
    request, hosts = _request(session, words, env, reuse=False, interactive=False, detach=True)
    if _on_swarm(session):
        return [swarm_execute.start_detached(
            session, request.role, request.command, request.env, request.version
        )]  # fmt: skip
    run_token = token()
    prepare = _preparer(session, request, hosts, run_token)

    async def step(server: Server) -> Detached:
        remote = await prepare(server)
        name = exec_name(session.config, request.role, run_token)
        with server.step(f"starting {name}", "no container was started there"):
            started = await server.run(remote)
        return Detached(server.host, name, started.stdout.strip(), server.engine.name)

    started = session.on_hosts(hosts, step)
    return [started[host] for host in hosts]


def interactive(
    session: Session, words: Sequence[str], env: Sequence[str] = (), *, reuse: bool = False
) -> list[str]:
    """The system ssh with a TTY that runs the command on the first selected host of the role,
    its env file uploaded first."""
    request, hosts = _request(session, words, env, reuse=reuse, interactive=True, detach=False)
    if _on_swarm(session):
        if not request.reuse:
            return swarm_execute.interactive_in_new(
                session, request.role, request.command, request.env, request.version
            )
        return swarm_tidy.interactive_in_task(session, request.role, request.command, request.env)
    host = hosts[0]
    remote = session.on_hosts([host], _preparer(session, request, [host], token()))[host]
    return ssh_argv(session.config.ssh, host, remote, tty=True)


def _on_swarm(session: Session) -> bool:
    """With backend: swarm, a command runs in a running task's container (--reuse), or in a
    new container of the role's image on the first manager."""
    return session.config.dockyard.backend == "swarm"


def _request(
    session: Session,
    words: Sequence[str],
    env: Sequence[str],
    *,
    reuse: bool,
    interactive: bool,
    detach: bool,
) -> tuple[ExecRequest, list[str]]:
    config, selection = session.config, session.selection
    role = selection.roles[0] if selection.roles else config.primary_role_name
    if role not in {r.name for r in config.roles}:
        raise UsageError(f"no role {role!r} in the config; give one of its roles with -r")
    role_hosts = next(r for r in config.roles if r.name == role).host_names
    hosts = [h for h in app_hosts(config, selection) if h in role_hosts]
    if not hosts:
        raise UsageError(f"no host of role {role!r} matches --hosts; nothing to run")
    request = ExecRequest(
        command=" ".join(words), role=role, env=app_exec.parse_env(env),
        version=session.request.version, reuse=reuse, interactive=interactive, detach=detach,
    )  # fmt: skip
    return request, hosts


def _preparer(
    session: Session, request: ExecRequest, hosts: Sequence[str], run_token: str
) -> Prepare:
    config = session.config
    names = [ref.secret_name for h in hosts for ref in config.env_for(request.role, h).secrets]
    secrets = {} if request.reuse else session.secret_values(names)

    async def prepared(server: Server) -> Raw:
        return await prepare(server, config, secrets, request, run_token)

    return prepared
