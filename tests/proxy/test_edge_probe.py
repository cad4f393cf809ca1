"""The edge's probe socket against a real Caddy 2.11: what its active check of a site sees of
one web host, on demand (`lb details` asks it; Caddy does not tell its checks' verdict)."""

from __future__ import annotations

import asyncio
from functools import partial

from dockyard.commands.edge_config import EdgeSettings, EdgeSite, edge_config, probe_path
from dockyard.workflows.http import check_get

from .conftest import LocalCaddy, free_port


async def test_the_probe_sends_the_check_as_the_edge_does_and_says_why_a_host_is_down(
    caddy: LocalCaddy,
) -> None:
    seen: list[bytes] = []

    async def web_proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        status = b"503 Service Unavailable" if b" /drained/" in head else b"200 OK"
        writer.write(b"HTTP/1.1 %s\r\nContent-Length: 2\r\n\r\nok" % status)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(web_proxy, "127.0.0.1", 0)
    up = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    down = f"127.0.0.1:{free_port()}"  # nothing listens there
    site = EdgeSite("shop-web", (up, down), hosts=("shop.example.com",), health_uri="/up")
    probe = caddy.socket_path.parent / "probe.sock"
    settings = EdgeSettings(
        http_port=caddy.http_port, https_port=caddy.https_port,
        admin_socket=str(caddy.socket_path), probe_socket=str(probe),
    )  # fmt: skip
    await caddy.admin().load(edge_config([site], settings))
    opened = partial(asyncio.open_unix_connection, str(probe))
    try:
        assert await check_get(opened, probe_path(site), up, 5, where="local") == (
            True,
            '200 OK: "ok"',
        )
        head = seen[-1].decode().lower()
        assert head.startswith("get /up http/1.1")
        assert "host: shop.example.com" in head and "x-dockyard-edge-check: shop-web" in head
        ok, said = await check_get(opened, probe_path(site), down, 5, where="local")
        assert not ok and said.startswith("502") and "connect" in said, said
        drained = EdgeSite("shop-web", (up,), hosts=("shop.example.com",), health_uri="/drained/up")
        await caddy.admin().load(edge_config([drained], settings))
        ok, said = await check_get(opened, probe_path(drained), up, 5, where="local")
        assert (ok, said) == (False, '503 Service Unavailable: "ok"')
    finally:
        server.close()
