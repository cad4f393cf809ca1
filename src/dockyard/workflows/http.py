"""One HTTP/1.1 request over an already-open byte stream (h11, sans-IO).

Used for Caddy's admin API (unix socket through SSH) and for dockyard's own health checks of a
new container (a TCP channel through SSH), so neither needs curl on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h11

from dockyard.ssh.transport import ByteReader, ByteWriter


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
