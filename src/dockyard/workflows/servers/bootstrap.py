"""`server bootstrap`: make sure every server has its container engine (Debian/Ubuntu).

hosts = bootstrap(session)                             # `server bootstrap`
await bootstrap_engine(session, transport, hosts)      # `setup`'s first step
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockyard.commands.base import Raw
from dockyard.errors import DockyardError
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
        present = await server.run(Raw(f"command -v {engine.name} >/dev/null"), check=False)
        if present.ok:
            return
        report(server.host, f"installing {engine.name}")
        install = Raw(
            f"[ $(id -u) = 0 ] && command -v apt-get >/dev/null && "
            f"DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
            f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {engine.debian_package}"
        )
        done = await server.run(install, check=False)
        if not done.ok:
            raise DockyardError(
                f"{server.host}: {engine.name} is missing and could not be installed (needs root "
                "and "
                f"apt); install {engine.name} on it by hand"
            )

    await on_servers(servers, one)
