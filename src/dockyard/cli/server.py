"""`dockyard server bootstrap|exec`: the servers themselves, app and accessory hosts alike."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.render import hand_over, show, show_outputs
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.servers import execute
from dockyard.workflows.servers.bootstrap import bootstrap as bootstrap_servers


@click.group("server", cls=SuggestingGroup)
def command() -> None:
    """Bootstrap servers and run commands on them."""


@command.command("bootstrap")
@global_options
def bootstrap(**kwargs: Any) -> None:
    """Install the container engine (Docker, or Podman with runtime: podman) where it is
    missing; Debian and Ubuntu servers, as root. Safe to run again."""
    session = load(kwargs, needs_version=False)
    hosts = bootstrap_servers(session)
    show(dict.fromkeys(hosts, f"{session.config.runtime.name} is installed"), False)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A real TTY, on the first host.")
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(interactive: bool, words: tuple[str, ...], **kwargs: Any) -> None:
    """Run a shell command on the servers (all at once) and show what each printed."""
    session = load(kwargs, needs_version=False)
    if interactive:
        hand_over(execute.interactive(session, words))
    show_outputs(execute.run_everywhere(session, words))
