"""What a command against the servers starts from: its global options, the config, a Session.

session = load(kwargs)                        # the app version: --version, $VERSION or git
session = load(kwargs, needs_version=False)   # a command that never uses the version
session, printer = load_printing(kwargs)      # and the printer, for a summary at the end

Loading says each warning of the config once (keys dockyard does not act on), and opens the run
log (output: file, otel) of a command that changes servers.
"""

from __future__ import annotations

from typing import Any

import click

from dockyard.cli import runlogs
from dockyard.cli.options import GlobalOptions
from dockyard.cli.output import Printer
from dockyard.loading.version import NO_VERSION
from dockyard.plan.from_config import Selection
from dockyard.runlog import RunInfo, open_run_log
from dockyard.workflows.session import Request, Session, performer


def load(kwargs: dict[str, Any], *, needs_version: bool = True) -> Session:
    """Takes the global options out of a command's kwargs; the rest stay for the command."""
    return load_printing(kwargs, needs_version=needs_version)[0]


def load_printing(kwargs: dict[str, Any], *, needs_version: bool = True) -> tuple[Session, Printer]:
    options = GlobalOptions.from_kwargs(kwargs)
    printer = Printer(quiet=options.quiet, verbose=options.verbose)
    version = None if needs_version else NO_VERSION
    session = Session.load(request(options), printer, version=version)
    if runlogs.logged(session.request.command):
        printer.run_log = open_run_log(session.config.output, run_info(session), printer.warning)
        if printer.run_log is not None:
            runlogs.opened(printer.run_log)
    for line in session.config.warnings:
        printer.warning(line)
    return session, printer


def run_info(session: Session) -> RunInfo:
    """Kamal's tags of the command for its run log."""
    config, words = session.config, session.request.command
    hosts = tuple(h for h in config.all_hosts if session.selection.host_ok(h))
    return RunInfo(
        command=words[0] if words else "", subcommand=" ".join(words[1:]),
        service=config.service, version=config.version, destination=config.destination,
        performer=performer(), hosts=hosts,
    )  # fmt: skip


def request(options: GlobalOptions) -> Request:
    return Request(
        config_file=options.config_file,
        destination=options.destination,
        version=options.version,
        selection=Selection(options.hosts, options.roles, options.primary),
        skip_hooks=options.skip_hooks,
        lock_wait=options.lock_wait_timeout if options.lock_wait else 0,
        lock_interval=options.lock_wait_interval,
        command=tuple(command_words()),
    )


def command_words() -> list[str]:
    """The words of the command that runs (`proxy reboot`), for the hooks' KAMAL_COMMAND."""
    ctx = click.get_current_context(silent=True)
    words: list[str] = []
    while ctx is not None and ctx.parent is not None:
        words.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return words
