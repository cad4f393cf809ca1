"""How commands against the servers show their results and talk to the user: a line per host
(or JSON), what a user's command printed on each host, the question before a destructive step,
and the hand-over to the system ssh for a real TTY."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from dockyard.errors import DockyardError, Result, UsageError


def show(data: Mapping[str, Any], as_json: bool) -> None:
    """{host: line or lines}: `host: line` each (`(nothing)` for none), or JSON with --json."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    for host, value in data.items():
        lines = value if isinstance(value, list) else [value]
        for line in lines or ["(nothing)"]:
            click.echo(f"{host}: {line}")


def show_outputs(results: Mapping[str, Result], *, raw: bool = False) -> None:
    """What a user's command printed on each host (each line prefixed with the host, unless
    raw); then one error naming every host where it failed, with its exit status."""
    for host, result in results.items():
        output = (result.stdout + result.stderr).rstrip("\n")
        if raw and output:
            click.echo(output)
        elif not raw:
            for line in output.splitlines() or ["(no output)"]:
                click.echo(f"{host}: {line}")
    failed = {h: r.exit_status for h, r in results.items() if not r.ok}
    if failed:
        which = ", ".join(f"{h} (exit {code})" for h, code in failed.items())
        raise DockyardError(f"the command failed on {which}")


def hand_over(argv: Sequence[str]) -> None:
    """Replace this process with the system ssh (a real TTY for `-i` and `logs -f`)."""
    os.execvp(argv[0], list(argv))


def ask(question: str, *, confirmed: bool, refusal: str | None = None) -> None:
    """Ask before a destructive step, unless -y (`confirmed`); with `refusal`, a command run
    without a terminal refuses with that message instead of waiting for an answer."""
    if confirmed:
        return
    if refusal is not None and not sys.stdin.isatty():
        raise UsageError(refusal)
    click.confirm(question, abort=True)
