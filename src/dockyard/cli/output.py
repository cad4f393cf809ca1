"""What long commands print: live per-host lines, a summary per host, the total time."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from typing import Protocol

import click

from dockyard.errors import CommandFailed, DockyardError, HostsFailed, StepFailed


class TripCounts(Protocol):
    """One host's round trips (the transport's HostStats)."""

    @property
    def round_trips(self) -> int: ...
    @property
    def commands(self) -> int: ...
    @property
    def uploads(self) -> int: ...
    @property
    def streams(self) -> int: ...
    @property
    def connections(self) -> int: ...


class Printer:
    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.start = time.monotonic()
        self.color = sys.stdout.isatty()

    def step(self, message: str) -> None:
        if not self.quiet:
            click.secho(f"  {message}", fg="cyan" if self.color else None)

    def host(self, host: str, message: str) -> None:
        if not self.quiet:
            prefix = f"  [{host}] " if host else "  "
            click.echo(f"{prefix}{message}")

    def summary(self, rows: Iterable[tuple[str, str]], title: str) -> None:
        if self.quiet:
            return
        click.echo(f"{title} in {time.monotonic() - self.start:.1f}s")
        for host, line in rows:
            click.echo(f"  {host}: {line}")

    def round_trips(self, stats: Mapping[str, TripCounts]) -> None:
        """-v: what each host cost in SSH round trips (a command, an upload or a stream each)."""
        if not self.verbose:
            return
        for host, s in stats.items():
            click.echo(
                f"  [{host}] {s.round_trips} SSH round trips ({s.commands} commands, "
                f"{s.uploads} uploads, {s.streams} streams) over {s.connections} connection(s)"
            )

    def failure(self, error: DockyardError) -> None:
        """Details an error's one line cannot hold: logs of a failed container, stderr tails."""
        for host, err in _per_host(error):
            logs = getattr(err, "logs", None)
            if logs:
                click.echo(f"  [{host}] last log lines of {getattr(err, 'name', 'the container')}:")
                for line in str(logs).splitlines()[-30:]:
                    click.echo(f"  [{host}]   {line}")
            failed = err.__cause__ if isinstance(err, StepFailed) else err
            if isinstance(failed, CommandFailed) and failed.result.stderr.strip():
                result = failed.result
                click.echo(f"  [{host}] `{result.command}` exited {result.exit_status}:")
                for line in result.stderr.strip().splitlines()[-10:]:
                    click.echo(f"  [{host}]   {line}")


def _per_host(error: BaseException, host: str = "") -> list[tuple[str, BaseException]]:
    """Each host's own error, looking inside HostsFailed (nested ones too)."""
    if isinstance(error, HostsFailed):
        return [pair for name, err in error.errors.items() for pair in _per_host(err, name)]
    return [(host or getattr(error, "host", ""), error)]
