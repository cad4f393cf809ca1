"""Interactive work runs the system ssh: a real TTY for `exec -i` and a follow for `logs -f`
(PTY handling is not worth reimplementing, as in Kamal's run_over_ssh).

    argv = ssh_argv(config.ssh, "10.0.0.1", command, tty=True)
    # -> ["ssh", "-t", "-p", "22", "-l", "root", "10.0.0.1", "<command rendered>"]

The caller replaces its process with it (os.execvp); nothing here runs anything.
"""

from __future__ import annotations

from dockyard.commands.base import Command
from dockyard.config.settings import Ssh


def ssh_argv(ssh: Ssh, host: str, remote: Command, *, tty: bool = False) -> list[str]:
    """The system ssh with the config's ssh settings, running `remote` on `host`."""
    argv = ["ssh", "-t" if tty else "-T", "-p", str(ssh.port), "-l", ssh.user]
    if isinstance(ssh.config, str):
        argv += ["-F", ssh.config]
    elif isinstance(ssh.config, tuple) and ssh.config:
        argv += ["-F", ssh.config[0]]
    for key in ssh.keys:
        argv += ["-i", key]
    if ssh.proxy:
        argv += ["-J", ssh.proxy]
    return [*argv, host, remote.render()]
