"""Byte streams over an SSH channel (a unix socket on the host), with errors mapped."""

from __future__ import annotations

import asyncssh

from dockyard.ssh.errormap import mapped_errors


class SshByteReader:
    def __init__(self, host: str, reader: asyncssh.SSHReader[bytes]) -> None:
        self._host = host
        self._reader = reader

    async def read(self, n: int = -1) -> bytes:
        with mapped_errors(self._host):
            return await self._reader.read(n)

    async def readline(self) -> bytes:
        with mapped_errors(self._host):
            return await self._reader.readline()

    async def readexactly(self, n: int) -> bytes:
        with mapped_errors(self._host):
            return await self._reader.readexactly(n)

    def at_eof(self) -> bool:
        return self._reader.at_eof()


class SshByteWriter:
    def __init__(self, host: str, writer: asyncssh.SSHWriter[bytes]) -> None:
        self._host = host
        self._writer = writer

    def write(self, data: bytes) -> None:
        with mapped_errors(self._host):
            self._writer.write(data)

    async def drain(self) -> None:
        with mapped_errors(self._host):
            await self._writer.drain()

    def write_eof(self) -> None:
        with mapped_errors(self._host):
            self._writer.write_eof()

    def close(self) -> None:
        self._writer.close()

    async def wait_closed(self) -> None:
        with mapped_errors(self._host):
            await self._writer.wait_closed()
