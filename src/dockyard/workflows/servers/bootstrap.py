"""`server bootstrap`: make sure every server has its container engine (Debian/Ubuntu).

hosts = bootstrap(session)                             # `server bootstrap`
await bootstrap_engine(session, transport, hosts)      # `setup`'s first step
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockyard.commands import server as server_commands
from dockyard.errors import DockyardError
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
    await bootstrap_hosts([Server(transport, h, engine) for h in hosts], report)
    if installed:
        await session.hook("docker-setup", installed)


async def bootstrap_hosts(servers: Sequence[Server], report: Callable[[str, str], None]) -> None:
    async def one(server: Server) -> None:
        engine = server.engine
        present = await server.run(server_commands.engine_present(engine), check=False)
        if present.ok:
            return
        report(server.host, f"installing {engine.name}")
        done = await server.run(server_commands.install_engine(engine), check=False)
        if not done.ok:
            cause = install_failure(done.exit_status, done.stderr)
            raise DockyardError(f"{server.host}: {engine.name} is missing; {cause}")

    await on_servers(servers, one)
