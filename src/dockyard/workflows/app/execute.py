"""`app exec` on one host: upload the role's current env file, then the command that runs the
user's command in a new container of the app's image (or, with reuse, in the running one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dockyard.commands import app_exec
from dockyard.commands.app import make_dirs
from dockyard.commands.base import Raw, all_of, write_stdin
from dockyard.config.objects import Config
from dockyard.errors import DockyardError
from dockyard.plan.from_config import role_boot
from dockyard.workflows.app.containers import running_versions
from dockyard.workflows.server import Server


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
    name = f"{config.proxy_service_name(request.role)}-exec-{token}"
    return app_exec.in_new_container(
        engine, boot.container, name, request.command,
        env=request.env, interactive=request.interactive, detach=request.detach,
    )  # fmt: skip
