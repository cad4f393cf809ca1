"""What long commands print: live per-host lines, a summary per host, the total time."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from typing import Protocol

import click

from dockyard.runlog import RunLog, Severity


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
        # output: of the config: every line goes there, whatever -q or -v show (as in Kamal)
        self.run_log: RunLog | None = None

    def _log(self, line: str, host: str | None = None, severity: Severity = "info") -> None:
        if self.run_log is not None:
            self.run_log.line(line, host, severity)

    def warning(self, message: str) -> None:
        """Always shown (-q too), on stderr, so --json output stays clean."""
        click.echo(f"WARNING: {message}", err=True)
        self._log(f"WARNING: {message}", severity="warn")

    def step(self, message: str) -> None:
        self._log(f"  {message}")
        if not self.quiet:
            click.secho(f"  {message}", fg="cyan" if self.color else None)

    def host(self, host: str, message: str) -> None:
        prefix = f"  [{host}] " if host else "  "
        self._log(f"{prefix}{message}", host or None)
        if not self.quiet:
            click.echo(f"{prefix}{message}")

    def summary(self, rows: Iterable[tuple[str, str]], title: str) -> None:
        lines: list[tuple[str | None, str]] = [
            (None, f"{title} in {time.monotonic() - self.start:.1f}s")
        ]
        lines += [(host, f"  {host}: {line}") for host, line in rows]
        for host, line in lines:
            self._log(line, host)
            if not self.quiet:
                click.echo(line)

    def round_trips(self, stats: Mapping[str, TripCounts]) -> None:
        """-v: what each host cost in SSH round trips (a command, an upload or a stream each)."""
        for host, s in stats.items():
            line = (
                f"  [{host}] {s.round_trips} SSH round trips ({s.commands} commands, "
                f"{s.uploads} uploads, {s.streams} streams) over {s.connections} connection(s)"
            )
            self._log(line, host, "debug")
            if self.verbose:
                click.echo(line)
