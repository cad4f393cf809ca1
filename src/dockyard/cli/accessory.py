"""`dockyard accessory …`: databases and caches beside the app, and their backups."""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli import accessory_backup
from dockyard.cli.load import load
from dockyard.cli.options import TAKE_OVER_ROUTES, global_options, log_options, log_query
from dockyard.cli.render import ask, hand_over, show
from dockyard.cli.suggest import SuggestingGroup
from dockyard.workflows.accessories import booting, manage
from dockyard.workflows.session import Session


@click.group("accessory", cls=SuggestingGroup)
def command() -> None:
    """Manage accessories (databases, caches) and their backups."""


accessory_backup.register(command)


@command.command("boot")
@click.argument("name")
@global_options
@TAKE_OVER_ROUTES
def boot(name: str, take_over_routes: bool, **kwargs: Any) -> None:
    """Boot an accessory (or all) where its container does not run."""
    session = load(kwargs, needs_version=False)
    outcomes = manage.boot(session, name, take_over_routes=take_over_routes)
    several = len({o.accessory for o in outcomes}) > 1
    show({f"{o.host}{f' ({o.accessory})' if several else ''}": o.said for o in outcomes}, False)
    failed = booting.failures(outcomes, f"fix each cause as it says; `dockyard accessory boot "
                              f"{name}` boots again what is not running")  # fmt: skip
    if failed is not None:  # its details go below its error line (cli/failure.py)
        raise failed


@command.command("reboot")
@click.argument("name")
@global_options
@TAKE_OVER_ROUTES
def reboot(name: str, take_over_routes: bool, **kwargs: Any) -> None:
    """Stop, remove, pull and boot an accessory (or all) again; data stays."""
    session = load(kwargs, needs_version=False)
    show(manage.reboot(session, name, take_over_routes=take_over_routes), False)


@command.command("upgrade")
@click.argument("name")
@global_options
@TAKE_OVER_ROUTES
def upgrade(name: str, take_over_routes: bool, **kwargs: Any) -> None:
    """Reboot an accessory (or all) into its network (Kamal 1 -> 2)."""
    session = load(kwargs, needs_version=False)
    show(manage.reboot(session, name, take_over_routes=take_over_routes), False)


def _control(verb: str) -> click.Command:
    @click.argument("name")
    @global_options
    def run(name: str, take_over_routes: bool = False, **kwargs: Any) -> None:
        session = load(kwargs, needs_version=False)
        show(manage.control(session, name, verb, take_over_routes=take_over_routes), False)

    if verb != "stop":  # start and restart route a proxied accessory again
        run = TAKE_OVER_ROUTES(run)
    return click.command(verb, help=f"{verb.capitalize()} an accessory's existing container.")(run)


for _verb in ("start", "stop", "restart"):
    command.add_command(_control(_verb))


@command.command("details")
@click.argument("name")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details(name: str, as_json: bool, **kwargs: Any) -> None:
    """Show an accessory's containers (or all), and how fresh its backups are."""
    show(manage.details(load(kwargs, needs_version=False), name), as_json)


@command.command("logs")
@click.argument("name")
@global_options
@log_options(follow="Follow on the accessory's first host (or the first -h one).")
def logs(name: str, **kwargs: Any) -> None:
    """Show an accessory's logs on each of its hosts."""
    query = log_query(kwargs)
    session = load(kwargs, needs_version=False)
    if query.follow:
        hand_over(manage.follow_logs(session, name, query))
    show(manage.logs(session, name, query), False)


@command.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
@global_options
@click.option("-i", "--interactive", is_flag=True, help="A terminal on the first host.")
@click.option("--reuse", is_flag=True, help="Run in the running container, not a new one.")
def exec_(name: str, cmd: tuple[str, ...], interactive: bool, reuse: bool, **kwargs: Any) -> None:
    """Run a command in a new container of the accessory (or, with --reuse, the running one)."""
    session = load(kwargs, needs_version=False)
    if interactive:
        hand_over(manage.interactive(session, name, cmd, reuse=reuse))
    show(manage.run_command(session, name, cmd, reuse=reuse), False)


@command.command("remove")
@click.argument("name")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask.")
def remove(name: str, confirmed: bool, **kwargs: Any) -> None:
    """Remove an accessory's container, image and data directory (or all accessories')."""
    session = load(kwargs, needs_version=False)
    ask(_removal_question(session, name), confirmed=confirmed)
    show(manage.remove(session, name), False)


def _removal_question(session: Session, name: str) -> str:
    where = "; ".join(
        f"{d.accessory}: ~/{d.path} on {', '.join(d.hosts)}"
        for d in manage.data_dirs(session, name)
    )
    return (
        f"This removes the container, the image and the data directory ({where}), with "
        "every file in it (a database's data!). Backups are kept. Go on?"
    )
