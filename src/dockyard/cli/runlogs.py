"""The run log of the command that runs (Kamal 2.12's `output:`): opened by cli/load.py for the
commands that change servers, finished once by cli/main.run with the command's outcome.

Kept apart and light: cli/main imports it for every command, and it imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from dockyard.runlog import RunLog

# Kamal's commands that log (those it wraps in `modify`), as command words.
LOGGED = frozenset(
    [("deploy",), ("redeploy",), ("rollback",), ("setup",), ("remove",), ("upgrade",)]
    + [("app", verb) for verb in ("boot", "start", "stop", "remove", "live", "maintenance")]
    + [("accessory", verb) for verb in ("boot", "reboot", "start", "stop", "restart", "remove",
                                        "upgrade", "upload", "directories")]
    + [("proxy", verb) for verb in ("boot", "reboot", "start", "stop", "restart", "remove")]
    + [("prune", verb) for verb in ("all", "images", "containers")]
    + [("server", "bootstrap")]
)  # fmt: skip

_open: list[RunLog] = []


class CommandExited(Exception):
    """A command that ended with a non-zero status without an error."""


def logged(words: tuple[str, ...]) -> bool:
    return words[:1] in LOGGED or words[:2] in LOGGED


def opened(log: RunLog) -> None:
    _open.append(log)


def record(lines: Iterable[tuple[str | None, str]]) -> None:
    """Lines the command's end adds to every open run log: a failure's details, by host."""
    for log in _open:
        for host, line in lines:
            log.line(line, host, "error")


def finish(error: BaseException | None) -> None:
    """Finish every open run log (once) and say where each went."""
    while _open:
        for line in _open.pop().finish(error):
            click.echo(line)
