"""One server as a workflow sees it: its host name, the transport to it and its container engine.

    server = Server(transport, "10.0.0.1", DOCKER)
    result = await server.run(app_commands.stop(server.engine, "demo-web-v1"))

It replaces the (transport, host, engine) triple that every step would otherwise pass along;
everything it does goes through the one transport seam (`dockyard.ssh.transport`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.commands.base import Command
from dockyard.engine import Engine
from dockyard.errors import Result
from dockyard.ssh.transport import ByteReader, ByteWriter, Transport


@dataclass(frozen=True)
class Server:
    transport: Transport
    host: str
    engine: Engine

    async def run(
        self,
        command: Command,
        *,
        check: bool = True,
        timeout: float | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        return await self.transport.run(
            self.host, command, check=check, timeout=timeout, input=input, env=env
        )

    async def upload(
        self, data: bytes, path: str, *, mode: int = 0o600, timeout: float | None = None
    ) -> None:
        await self.transport.upload(self.host, data, path, mode=mode, timeout=timeout)

    async def open_tcp_connection(self, address: str, port: int) -> tuple[ByteReader, ByteWriter]:
        return await self.transport.open_tcp_connection(self.host, address, port)

    async def open_unix_connection(self, path: str) -> tuple[ByteReader, ByteWriter]:
        return await self.transport.open_unix_connection(self.host, path)
