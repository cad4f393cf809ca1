"""`server bootstrap`: make sure every server has its container engine (Debian/Ubuntu), and
that a server whose engine starts no container after a reboot (Podman) has the crontab line
that does.

hosts = bootstrap(session)                             # `server bootstrap`
await bootstrap_engine(session, transport, hosts)      # `setup`'s first step
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockyard.commands import server as server_commands
from dockyard.errors import DockyardError
from dockyard.facts.crontab import why_not_set
from dockyard.facts.server import install_failure
from dockyard.plan.targets import server_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session


def bootstrap(session: Session) -> list[str]:
    """The engine on every selected server (accessory hosts too); returns them."""
    hosts = server_hosts(session.config, session.selection)
    session.run(lambda transport: bootstrap_engine(session, transport, hosts))
    return hosts


async def bootstrap_engine(session: Session, transport: Transport, hosts: Sequence[str]) -> None:
    """Install the engine where it is missing, then Kamal's docker-setup hook if anything was
    installed."""
    installed: list[str] = []

    def report(host: str, message: str) -> None:
        installed.append(host)
        session.progress.host(host, message)

    engine = session.config.runtime
    servers = [Server(transport, h, engine) for h in hosts]
    await bootstrap_hosts(servers, report, warn=session.progress.host)
    if installed:
        await session.hook("docker-setup", installed)


async def bootstrap_hosts(
    servers: Sequence[Server], report: Callable[[str, str], None], warn: Callable[[str, str], None]
) -> None:
    """The engine installed where it is missing (`report(host, what)` first); where the engine
    starts no container after a reboot (Podman), the crontab line that does (`warn(host, why)`
    when it could not be set: the setup goes on)."""

    async def one(server: Server) -> None:
        engine = server.engine
        present = await server.run(server_commands.engine_present(engine), check=False)
        if not present.ok:
            report(server.host, f"installing {engine.name}")
            done = await server.run(server_commands.install_engine(engine), check=False)
            if not done.ok:
                cause = install_failure(done.exit_status, done.stderr)
                raise DockyardError(f"{server.host}: {engine.name} is missing; {cause}")
        if not engine.starts_containers_at_boot:
            await _start_at_boot(server, warn)

    await on_servers(servers, one)


async def _start_at_boot(server: Server, warn: Callable[[str, str], None]) -> None:
    with server.step("setting the start of the containers at boot", "run `dockyard setup` again"):
        done = await server.run(server_commands.start_at_boot(server.engine))
    why = why_not_set(done.stdout)
    if why is not None:
        engine = server.engine.name
        warn(
            server.host,
            f"warning: {engine} will not start the app's containers after a reboot ({why}): "
            "after one, `dockyard proxy start` and `dockyard app start` start them; install "
            "cron and run `dockyard setup` again to have it done at boot",
        )
