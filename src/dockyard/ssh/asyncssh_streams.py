"""Byte streams over an SSH channel (a unix socket on the host), with errors mapped."""

from __future__ import annotations

import asyncssh

from dockyard.ssh.errormap import mapped_errors


class SshByteReader:
    """`silence`: the transport's silence_limit, for the message of a host that went silent."""

    def __init__(
        self, host: str, reader: asyncssh.SSHReader[bytes], silence: float | None = None
    ) -> None:
        self._host = host
        self._reader = reader
        self._silence = silence

    async def read(self, n: int = -1) -> bytes:
        with mapped_errors(self._host, silence=self._silence):
            return await self._reader.read(n)

    async def readline(self) -> bytes:
        with mapped_errors(self._host, silence=self._silence):
            return await self._reader.readline()

    async def readexactly(self, n: int) -> bytes:
        with mapped_errors(self._host, silence=self._silence):
            return await self._reader.readexactly(n)

    def at_eof(self) -> bool:
        return self._reader.at_eof()


class SshByteWriter:
    def __init__(
        self, host: str, writer: asyncssh.SSHWriter[bytes], silence: float | None = None
    ) -> None:
        self._host = host
        self._writer = writer
        self._silence = silence

    def write(self, data: bytes) -> None:
        with mapped_errors(self._host, silence=self._silence):
            self._writer.write(data)

    async def drain(self) -> None:
        with mapped_errors(self._host, silence=self._silence):
            await self._writer.drain()

    def write_eof(self) -> None:
        with mapped_errors(self._host, silence=self._silence):
            self._writer.write_eof()

    def close(self) -> None:
        self._writer.close()

    async def wait_closed(self) -> None:
        with mapped_errors(self._host, silence=self._silence):
            await self._writer.wait_closed()
