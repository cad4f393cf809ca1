"""What a run log is told: the command (Kamal's tags), its lines, how it ended; and the Sink
each place a log goes to implements (runlog/file.py, runlog/otlp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

Severity = str  # debug, info, warn, error


@dataclass(frozen=True)
class RunInfo:
    """What runs: Kamal's tags for the command."""

    command: str
    subcommand: str = ""
    service: str = ""
    version: str = ""
    destination: str | None = None
    performer: str = ""
    hosts: tuple[str, ...] = ()

    @property
    def full_command(self) -> str:
        return " ".join(word for word in (self.command, self.subcommand) if word)


@dataclass(frozen=True)
class Failure:
    kind: str  # the error's class name
    message: str


class Sink(Protocol):
    def line(self, text: str, host: str | None, severity: Severity) -> None: ...

    def finish(self, failure: Failure | None, runtime: float) -> str:
        """Close; returns the line that says where the log went."""
        ...
