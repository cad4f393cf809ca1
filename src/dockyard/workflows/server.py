"""One server as a workflow sees it: its host name, the transport to it and its container engine.

    server = Server(transport, "10.0.0.1", DOCKER)
    result = await server.run(app_commands.stop(server.engine, "demo-web-v1"))

It replaces the (transport, host, engine) triple that every step would otherwise pass along;
everything it does goes through the one transport seam (`dockyard.ssh.transport`).

    with server.step("reading the proxy's routes", "nothing was changed; try again"):
        routes = await controller.read_routes()

A command that fails (or runs past its deadline) in a named step is said by the step's name:
`<host>: <step> failed: <the engine's words>; <what to do>`, not by its rendering, which can be
an internal script (the CLI shows its stderr below the error line, the command only with -v).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from dockyard.commands.base import Command
from dockyard.engine import Engine
from dockyard.errors import CommandFailed, CommandTimeout, Result, StepFailed
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

    @contextmanager
    def step(self, what: str, after: str) -> Iterator[None]:
        """A failed command in the block becomes StepFailed: host, `what`, cause, `after`.
        Other errors say their own line already (a lost connection, a proxy's answer)."""
        try:
            yield
        except (CommandFailed, CommandTimeout) as error:
            raise StepFailed(self.host, what, error, after) from error

    async def upload(
        self, data: bytes, path: str, *, mode: int = 0o600, timeout: float | None = None
    ) -> None:
        await self.transport.upload(self.host, data, path, mode=mode, timeout=timeout)

    async def open_tcp_connection(self, address: str, port: int) -> tuple[ByteReader, ByteWriter]:
        return await self.transport.open_tcp_connection(self.host, address, port)

    async def open_unix_connection(self, path: str) -> tuple[ByteReader, ByteWriter]:
        return await self.transport.open_unix_connection(self.host, path)
