"""Where an image to transfer lives: a host reached over SSH (the builder), or this machine.

source = HostSource(transport, "10.0.0.10")     # or LocalSource()
stdout = await source.run(cmd("docker", "image", "inspect", ...))   # raises CommandFailed
data = await source.fetch(".dockyard/export-ab12/out/<hex>.tar.gz")  # path under the home
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol

from dockyard.commands.base import Command
from dockyard.errors import CommandFailed, Result
from dockyard.ssh.transport import Transport


class Downloads(Protocol):
    async def download(self, host: str, path: str) -> bytes: ...


class FileTransport(Transport, Downloads, Protocol):
    """A transport that can also read files back and open reverse tunnels (AsyncsshTransport)."""

    async def forward_remote_port(self, host: str, port: int, local_port: int) -> Any: ...


class ImageSource(Protocol):
    name: str

    async def run(
        self, command: Command, *, input: str | None = None, timeout: float | None = None
    ) -> str: ...

    async def fetch(self, path: str) -> bytes: ...


class HostSource:
    def __init__(self, transport: FileTransport, host: str) -> None:
        self.transport = transport
        self.name = host

    async def run(
        self, command: Command, *, input: str | None = None, timeout: float | None = None
    ) -> str:
        result = await self.transport.run(self.name, command, input=input, timeout=timeout)
        return result.stdout

    async def fetch(self, path: str) -> bytes:
        return await self.transport.download(self.name, path)


class LocalSource:
    """This machine's own engine: commands through sh, files read from the home."""

    name = "local"

    async def run(
        self, command: Command, *, input: str | None = None, timeout: float | None = None
    ) -> str:
        """`timeout` is ignored: a local build or export ends with this process."""
        process = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            command.render(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate((input or "").encode())
        result = Result(
            "local",
            command.render(redact=True),
            process.returncode or 0,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
        )
        if not result.ok:
            raise CommandFailed(result)
        return result.stdout

    async def fetch(self, path: str) -> bytes:
        return await asyncio.to_thread((Path(os.path.expanduser("~")) / path).read_bytes)
