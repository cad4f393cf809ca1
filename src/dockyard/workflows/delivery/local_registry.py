"""Kamal 2.8's local registry (`registry.server: localhost:PORT`): a registry on this machine,
on loopback only, that the builder pushes to and the servers pull from through SSH reverse
tunnels (never published on a network).

    async with local_registry(5000, storage), tunnels(transport, hosts, 5000):
        await pull_from_local_registry(transport, host, engine, image, service)
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from dockyard.commands import registry as commands
from dockyard.engine import Engine
from dockyard.errors import DeliveryError
from dockyard.ssh.transport import UNBOUNDED, Transport
from dockyard.workflows.fanout import on_hosts

REGISTRY_BINARY = "docker-registry"


@contextlib.asynccontextmanager
async def local_registry(port: int, storage: Path) -> AsyncIterator[None]:
    """A registry on this machine at 127.0.0.1:`port` for the duration (one already answering
    there is used as it is); its data stays in `storage` for the next deploy."""
    if await _answers(port):
        yield
        return
    binary = shutil.which(REGISTRY_BINARY)
    if binary is None:
        raise DeliveryError(
            f"registry.server localhost:{port} needs a registry on this machine: install "
            f"{REGISTRY_BINARY} (Debian: apt-get install docker-registry), or set "
            "x-dockyard.delivery: ssh (no registry at all)"
        )
    storage.mkdir(parents=True, exist_ok=True)
    config = storage / "config.yml"
    config.write_text(commands.local_registry_config(port, str(storage / "data")))
    process = await asyncio.create_subprocess_exec(
        binary, "serve", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await _wait_until_it_answers(port, process)
        yield
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def _wait_until_it_answers(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(100):
        if await _answers(port):
            return
        if process.returncode is not None:
            stderr = (await process.stderr.read()).decode() if process.stderr else ""
            last = (stderr.strip().splitlines() or ["no output"])[-1]
            raise DeliveryError(f"the local registry on port {port} did not start: {last}")
        await asyncio.sleep(0.1)
    raise DeliveryError(f"the local registry on port {port} did not answer within 10s")


async def _answers(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /v2/ HTTP/1.0\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 2)
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
    return status.startswith(b"HTTP/1.") and b" 200 " in status


class Tunnels(Protocol):
    async def forward_remote_port(self, host: str, port: int, local_port: int) -> Any: ...


@contextlib.asynccontextmanager
async def tunnels(transport: Tunnels, hosts: Sequence[str], port: int) -> AsyncIterator[None]:
    """127.0.0.1:`port` on every host leads to the local registry (ssh -R), for the duration."""
    listeners = await on_hosts(hosts, lambda host: transport.forward_remote_port(host, port, port))
    try:
        yield
    finally:
        for listener in listeners.values():
            listener.close()
        for listener in listeners.values():
            await listener.wait_closed()


async def pull_from_local_registry(
    transport: Transport, host: str, engine: Engine, image: str, service: str
) -> None:
    """Pull through the host's tunnel and check the service label (as Kamal does)."""
    pull = commands.pull_local_checked(engine, image)
    result = await transport.run(host, pull, timeout=UNBOUNDED)
    labels = [line for line in result.stdout.splitlines() if line.startswith("service=")]
    label = labels[-1][len("service=") :] if labels else ""
    if label != service:
        raise DeliveryError(
            f"{host}: image {image} has label service={label or '(none)'}, not {service}; "
            f"build it with dockyard or add `LABEL service={service}`"
        )
