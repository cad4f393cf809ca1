"""Secret values: sent to hosts as they are, shown as [REDACTED] everywhere else.

A leaf module: config, commands, secrets and the transport all use it, and it uses nothing.
"""

from __future__ import annotations

REDACTED = "[REDACTED]"


class Secret(str):
    """A value sent to the host as is, but shown as [REDACTED] in logs, errors and output."""

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"
