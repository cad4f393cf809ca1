"""The seam between dockyard and its servers: everything above talks to hosts through this.

    Transport.run(host, cmd, *, check=True, timeout=None, input=None, env=None) -> Result
    Transport.upload(host, data, path, *, mode=0o600, timeout=None)   atomic: temp + rename
    Transport.open_unix_connection(host, path) -> (reader, writer)   a unix socket ON the host
    Transport.open_tcp_connection(host, address, port) -> (reader, writer)   TCP, from the host
    Transport.stats(host) -> HostStats                    round trips counted per host
    Transport.close()

`run` sends the real rendering of `cmd` and reports the redacted one in `Result.command`; with
`check` a non-zero exit raises CommandFailed(result); past `timeout` it raises CommandTimeout.
`timeout=None` means the transport's default command timeout (every command ends), and
`timeout=UNBOUNDED` none at all, for a step that may rightly run for hours (a backup); `upload`
takes the same `timeout`.
`env` is sent as `export K=V;` in front of the command (sshd drops SSH env requests unless
AcceptEnv allows them); a Secret value is redacted like any other. Relative upload paths and a
leading `~/` are relative to the login user's home.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from dockyard.commands.base import Command
from dockyard.errors import Result
from dockyard.redaction import REDACTED, Secret

UNBOUNDED = math.inf  # run(timeout=UNBOUNDED): no deadline at all

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class HostStats:
    """Round trips to one host: what the deploy benchmark reports."""

    connections: int = 0
    commands: int = 0
    uploads: int = 0
    streams: int = 0

    @property
    def round_trips(self) -> int:
        return self.commands + self.uploads + self.streams


class ByteReader(Protocol):
    async def read(self, n: int = -1) -> bytes: ...
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...
    def at_eof(self) -> bool: ...


class ByteWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    async def drain(self) -> None: ...
    def write_eof(self) -> None: ...
    def close(self) -> None: ...
    async def wait_closed(self) -> None: ...


class Transport(Protocol):
    async def run(
        self,
        host: str,
        cmd: Command,
        *,
        check: bool = True,
        timeout: float | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result: ...

    async def upload(
        self, host: str, data: bytes, path: str, *, mode: int = 0o600, timeout: float | None = None
    ) -> None: ...

    async def open_unix_connection(self, host: str, path: str) -> tuple[ByteReader, ByteWriter]: ...

    async def open_tcp_connection(
        self, host: str, address: str, port: int
    ) -> tuple[ByteReader, ByteWriter]: ...

    def stats(self, host: str) -> HostStats: ...

    async def close(self) -> None: ...


def render_for_wire(cmd: Command, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(what is sent, what is shown): the command with its env exported, and its redaction."""
    prefix, shown_prefix = _env_prefix(env or {})
    return prefix + cmd.render(), shown_prefix + cmd.render(redact=True)


def _env_prefix(env: Mapping[str, str]) -> tuple[str, str]:
    sent, shown = [], []
    for name, value in env.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"env: {name!r} is not a valid variable name")
        sent.append(f"export {name}={shlex.quote(value)}; ")
        shown_value = REDACTED if isinstance(value, Secret) else shlex.quote(value)
        shown.append(f"export {name}={shown_value}; ")
    return "".join(sent), "".join(shown)


def effective_timeout(timeout: float | None, default: float | None) -> float | None:
    """The deadline a run gets: its own, else the transport's default; None for UNBOUNDED."""
    chosen = default if timeout is None else timeout
    return None if chosen is None or math.isinf(chosen) else chosen


def remote_path(path: str) -> str:
    """SFTP paths are relative to the login home; `~/x` means the same as `x`."""
    if path == "~":
        return "."
    return path[2:] if path.startswith("~/") else path
