"""One HTTP/1.1 request over an already-open byte stream (h11, sans-IO).

Used for Caddy's admin API (unix socket through SSH) and for dockyard's own health checks of a
container (`http_check`: a TCP channel to its address; through the proxy's probe socket: see
workflows/proxy/controller.py), so neither needs curl on the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import h11

from dockyard.errors import DockyardError, HostUnreachable, reason
from dockyard.facts.http import body_excerpt
from dockyard.ssh.transport import ByteReader, ByteWriter
from dockyard.workflows.server import Server

OpenStream = Callable[[], Awaitable[tuple[ByteReader, ByteWriter]]]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    reason: str = field(default="", compare=False)  # the status line's words: "Not Found"


async def exchange(
    reader: ByteReader,
    writer: ByteWriter,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    host: str = "localhost",
    content_type: str = "application/json",
) -> Response:
    """Send one request, read the whole response; the caller closes the stream."""
    conn = h11.Connection(our_role=h11.CLIENT)
    headers = [("Host", host), ("Connection", "close"), ("Content-Length", str(len(body)))]
    if body:
        headers.append(("Content-Type", content_type))
    writer.write(conn.send(h11.Request(method=method, target=path, headers=headers)) or b"")
    if body:
        writer.write(conn.send(h11.Data(data=body)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()
    status, reason, chunks = 0, "", []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status, reason = event.status_code, event.reason.decode(errors="replace")
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return Response(status, b"".join(chunks), reason)


async def check_get(
    open_stream: OpenStream, path: str, host: str, timeout: float, *, where: str
) -> tuple[bool, str]:
    """GET path with this Host header over a stream opened for it, from the server `where`:
    (2xx?, one-line answer: the status and an excerpt of the body, or why nothing answered in
    HTTP)."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await open_stream()
            try:
                response = await exchange(reader, writer, "GET", path, host=host)
            finally:
                writer.close()
    except TimeoutError:
        return False, f"no answer within {timeout:g}s"
    except HostUnreachable:  # not the app: the host itself is gone
        raise
    except (OSError, EOFError, DockyardError, h11.ProtocolError) as error:  # not healthy yet
        return False, f"no HTTP answer: {reason(error, where)}"
    status = f"{response.status} {response.reason}".strip()
    body = body_excerpt(response.body)
    return 200 <= response.status < 300, status + (f': "{body}"' if body else "")


async def http_check(
    server: Server,
    address: str,
    port: int,
    path: str,
    timeout: float,
) -> tuple[bool, str]:
    """GET address:port/path from the host, through the SSH connection: (2xx?, one-line answer:
    the status and an excerpt of the body, or why nothing answered in HTTP)."""
    opened = partial(server.open_tcp_connection, address, port)
    return await check_get(opened, path, address, timeout, where=server.host)
