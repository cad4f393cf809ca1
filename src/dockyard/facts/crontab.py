"""What the crontab edits of commands/crontab.py print (pure)."""

from __future__ import annotations

from dockyard.commands.crontab import NO_RESTART_MARK


def why_not_set(stdout: str) -> str | None:
    """Why set_lines could not set its lines in the crontab (the line `NO_RESTART_MARK why` it
    prints then), None when it did."""
    for line in stdout.splitlines():
        if line.startswith(NO_RESTART_MARK):
            return line.removeprefix(NO_RESTART_MARK).strip() or "crontab failed"
    return None
