"""`server exec`: a shell command on the servers themselves (not in a container).

results = run_everywhere(session, ["df", "-h"])       # {host: Result}, all at once
argv = interactive(session, ["top"])                  # the system ssh, for os.execvp
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands.server import shell
from dockyard.errors import Result
from dockyard.plan.targets import server_hosts
from dockyard.workflows.interactive import ssh_argv
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session


def run_everywhere(session: Session, words: Sequence[str]) -> dict[str, Result]:
    """On every selected server (accessory hosts too): what it printed and its exit status."""
    command = shell(words)

    async def step(server: Server) -> Result:
        return await server.run(command, check=False)

    return session.on_hosts(server_hosts(session.config, session.selection), step)


def interactive(session: Session, words: Sequence[str]) -> list[str]:
    """The system ssh with a TTY on the first selected server."""
    host = server_hosts(session.config, session.selection)[0]
    return ssh_argv(session.config.ssh, host, shell(words), tty=True)
