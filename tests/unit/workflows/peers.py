"""Scripted HTTP peers for the streams of a FakeTransport: a fake Caddy admin API (the unix
socket) and fake apps (a new container's health path, reached through the proxy's probe socket
by its slot alias, or through a TCP channel to its address).

    admin = FakeCaddyAdmin()
    apps = FakeApps(resolve=lambda host, upstream: "172.18.0.12")
    fake = FakeTransport(..., open_unix=admin.open, open_tcp=apps.open)

Each answers one request per stream (dockyard sends `Connection: close`), parsed with h11 as
a real server would, and records what it answered, so a check can tell which host's new
container passed its health check and when (the position in `fake.calls` at that moment).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import h11

from dockyard.ssh.transport import ByteReader, ByteWriter

# (method, path, body, Host header) -> answer
Handler = Callable[[str, str, bytes, str], tuple[int, bytes]]


class _PeerWriter:
    """What dockyard writes goes to an h11 server; a whole request gets its answer at once."""

    def __init__(self, reader: asyncio.StreamReader, handler: Handler) -> None:
        self._reader = reader
        self._handler = handler
        self._conn = h11.Connection(our_role=h11.SERVER)
        self._request: h11.Request | None = None
        self._body = b""
        self._answered = False

    def write(self, data: bytes) -> None:
        if not data or self._answered:
            return  # h11 takes b"" for the end of the stream; one request per stream
        self._conn.receive_data(data)
        while (event := self._conn.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
            if isinstance(event, h11.Request):
                self._request = event
            elif isinstance(event, h11.Data):
                self._body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._answer()
                return

    def _answer(self) -> None:
        assert self._request is not None
        self._answered = True
        method, path = self._request.method.decode(), self._request.target.decode()
        host = next((v.decode() for k, v in self._request.headers if k == b"host"), "")
        status, body = self._handler(method, path, self._body, host)
        headers = [("Content-Length", str(len(body))), ("Connection", "close")]
        reason = HTTPStatus(status).phrase  # as a real server says it
        response = h11.Response(status_code=status, headers=headers, reason=reason)
        for event in (response, h11.Data(data=body)):
            self._reader.feed_data(self._conn.send(event) or b"")
        self._reader.feed_data(self._conn.send(h11.EndOfMessage()) or b"")
        self._reader.feed_eof()

    async def drain(self) -> None:
        pass

    def write_eof(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def wait_closed(self) -> None:
        pass


def streams(handler: Handler) -> tuple[ByteReader, ByteWriter]:
    reader = asyncio.StreamReader()
    return reader, _PeerWriter(reader, handler)


@dataclass
class FakeCaddyAdmin:
    """Caddy's admin API: POST /load, GET /config/, GET /reverse_proxy/upstreams (per host, the
    answers queued in `upstreams` first, then nothing in flight), per host; `loads` records
    each host's loaded configs; an edge's probe socket answers `probed`."""

    loads: dict[str, list[object]] = field(default_factory=dict)
    upstreams: dict[str, list[bytes]] = field(default_factory=dict)
    # an edge's probe socket (commands/edge_config.py): its answer for each upstream, by the
    # upstream's address (the request's Host); 200 "ok" for the others
    probed: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    async def open(self, host: str, path: str) -> tuple[ByteReader, ByteWriter]:
        if path.endswith("/probe.sock"):
            return streams(lambda method, target, body, upstream: self.probe(upstream))
        return streams(lambda method, target, body, _: self.answer(host, method, target, body))

    def probe(self, upstream: str) -> tuple[int, bytes]:
        return self.probed.get(upstream, (200, b"ok"))

    def answer(self, host: str, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if (method, path) == ("POST", "/load"):
            self.loads.setdefault(host, []).append(json.loads(body))
            return 200, b""
        if (method, path) == ("GET", "/config/"):
            return 200, b"{}"
        if (method, path) == ("GET", "/reverse_proxy/upstreams"):
            queued = self.upstreams.get(host, [])
            return 200, queued.pop(0) if queued else b"[]"
        return 404, json.dumps({"error": f"unknown path {path}"}).encode()


@dataclass(frozen=True)
class Probe:
    host: str
    address: str
    step: int  # how many steps the fake had seen when this answer was given


@dataclass
class FakeApps:
    """Every container address answers its health path with `reply` (200 unless a test says
    otherwise; `healthy` records each 2xx answer, `paths` every path asked); `steps` tells how
    many steps the transport has seen (len(fake.calls)). Through the probe socket, `resolve`
    (host, upstream) gives the address of the container holding that alias; one nobody holds
    is a 502, as Caddy answers it."""

    steps: Callable[[], int] = lambda: 0
    resolve: Callable[[str, str], str | None] = lambda host, upstream: None
    healthy: list[Probe] = field(default_factory=list)
    reply: tuple[int, bytes] = (200, b"ok")
    paths: list[str] = field(default_factory=list)

    async def open(self, host: str, address: str, port: int) -> tuple[ByteReader, ByteWriter]:
        return streams(lambda method, path, body, _: self._answer(host, address, path))

    async def open_probe(self, host: str) -> tuple[ByteReader, ByteWriter]:
        def answer(method: str, path: str, body: bytes, upstream: str) -> tuple[int, bytes]:
            address = self.resolve(host, upstream)
            if address is None:
                name = upstream.rsplit(":", 1)[0]
                return 502, f"proxy to {upstream}: dial tcp: lookup {name}: no such host".encode()
            return self._answer(host, address, path)

        return streams(answer)

    def _answer(self, host: str, address: str, path: str) -> tuple[int, bytes]:
        self.paths.append(path)
        if 200 <= self.reply[0] < 300:
            self.healthy.append(Probe(host, address, self.steps()))
        return self.reply
