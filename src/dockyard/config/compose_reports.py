"""A key of a Compose project dockyard does not honour, with why (config/compose*.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """A key of the Compose project dockyard does not honour: its path, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
