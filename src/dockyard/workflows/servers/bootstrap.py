"""`server bootstrap`: make sure every server has its container engine (Debian/Ubuntu)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dockyard.commands.base import Raw
from dockyard.engine import Engine
from dockyard.errors import DockyardError
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_hosts


async def bootstrap_hosts(
    transport: Transport, hosts: Sequence[str], engine: Engine, report: Callable[[str, str], None]
) -> None:
    async def one(host: str) -> None:
        present = await transport.run(
            host, Raw(f"command -v {engine.name} >/dev/null"), check=False
        )
        if present.ok:
            return
        report(host, f"installing {engine.name}")
        install = Raw(
            f"[ $(id -u) = 0 ] && command -v apt-get >/dev/null && "
            f"DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
            f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {engine.debian_package}"
        )
        done = await transport.run(host, install, check=False)
        if not done.ok:
            raise DockyardError(
                f"{host}: {engine.name} is missing and could not be installed (needs root and "
                f"apt); install {engine.name} on it by hand"
            )

    await on_hosts(hosts, one)
