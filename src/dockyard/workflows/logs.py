"""Reading logs on a host, shared by `app logs`, `accessory logs` and `proxy logs`.

q = query(grep="ERROR")             # the options as Kamal reads them (LogQuery.kamal)
lines = await read(server, container_logs(server.engine, "shop-db", q))  # None: no container
"""

from __future__ import annotations

from dataclasses import replace

from dockyard.commands.base import Raw
from dockyard.commands.logs import NO_CONTAINER
from dockyard.commands.logs import LogQuery as LogQuery  # for the CLI's options
from dockyard.errors import CommandFailed
from dockyard.workflows.server import Server

query = LogQuery.kamal  # for the CLI, which imports no builder module


async def read(server: Server, command: Raw) -> list[str] | None:
    """The lines a guarded read (commands/logs.py) printed; None when the host has no such
    container. Any other failure raises, with the engine's own words."""
    result = await server.run(command, check=False)
    if result.exit_status == NO_CONTAINER:
        return None
    if not result.ok:  # the engine's message went to stdout with the container's stderr
        raise CommandFailed(replace(result, stderr=result.stderr or result.stdout))
    return result.stdout.splitlines()
