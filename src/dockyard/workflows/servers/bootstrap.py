"""`server bootstrap`: make sure every server has its container engine (Debian/Ubuntu)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockyard.commands.base import Raw
from dockyard.errors import DockyardError
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server


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
