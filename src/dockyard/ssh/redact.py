"""Keeping secrets out of asyncssh's log records (it logs each command at INFO level) and out of
what a command said on stderr (an error shows it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from dockyard.commands.base import Cmd, Command, Raw, Seq
from dockyard.redaction import REDACTED, Secret

ASYNCSSH_LOGGERS = ("asyncssh", "asyncssh.sftp")


def secrets_in(
    cmd: Command, env: Mapping[str, str] | None = None, input: str | None = None
) -> set[str]:
    """Every Secret value a run sends: in the command's arguments, its env and its stdin."""
    found = {value for value in _command_values(cmd) if isinstance(value, Secret)}
    found.update(v for v in (env or {}).values() if isinstance(v, Secret))
    if isinstance(input, Secret):
        found.add(input)
    return {value for value in found if value}


def _command_values(cmd: Command) -> Iterable[str]:
    if isinstance(cmd, Cmd):
        yield from cmd.argv
    elif isinstance(cmd, Raw):
        yield cmd.text
    elif isinstance(cmd, Seq):
        for part in cmd.parts:
            yield from _command_values(part)


class SecretLogFilter(logging.Filter):
    """Rewrites asyncssh log records so no remembered secret value appears in them."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    @classmethod
    def install(cls, level: int) -> SecretLogFilter:
        """A filter on asyncssh's loggers, which are set to `level` (Kamal's ssh/log_level)."""
        log_filter = cls()
        log_filter.attach()
        logging.getLogger("asyncssh").setLevel(level)
        return log_filter

    def attach(self) -> None:
        """Idempotent: logging keeps one copy of a filter."""
        for name in ASYNCSSH_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        for name in ASYNCSSH_LOGGERS:
            logging.getLogger(name).removeFilter(self)

    def remember(self, values: Iterable[str]) -> None:
        self._secrets.update(values)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg, record.args = redacted(record.getMessage(), self._secrets), None
        return True


def redacted(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value in it shown as [REDACTED] (the longest first)."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text
