"""Helpers for deploy tests on the lab: an app directory, the CLI, HTTP from the root namespace,
and a bounded load generator."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.lab import LabInfo
from dockyard.lab import spec as lab_names

from ..cli import dockyard as dockyard
from .load_client import BadAnswer, RawConnection, get_request

SECRET_VALUE = "s3cr3t-value-never-shown"


def write_app(
    root: Path, lab: LabInfo, *, service: str = "demo", host: str = "demo.test", image: str = "demo"
) -> Path:
    """A Kamal config for the lab's demo image: web on every server, a worker on the last."""
    servers = [h.ip for h in lab.servers]
    web = "\n".join(f"      - {ip}" for ip in servers)
    runtime = f"  runtime: {lab.engine}\n"
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(
        f"""service: {service}
image: {image}
servers:
  web:
    hosts:
{web}
  worker:
    hosts:
      - {servers[-1]}
    proxy: false
proxy:
  host: {host}
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
env:
  clear:
    SERVICE: {service}
  secret:
    - SECRET_KEY_BASE
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 15
drain_timeout: 10
x-dockyard:
{runtime}  proxy:
    image: {lab.images["proxy"]}
"""
    )
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nSECRET_KEY_BASE={SECRET_VALUE}\n"
    )
    return root


def get(ip: str, host: str, path: str = "/", timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection(ip, 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def plain_redirect(ip: str, host: str) -> tuple[int, str | None]:
    """What plain HTTP to ip:80 answers GET /x for the host: (status, Location)."""
    plain = http.client.HTTPConnection(ip, 80, timeout=10)
    try:
        plain.request("GET", "/x", headers={"Host": host})
        response = plain.getresponse()
        return response.status, response.getheader("Location")
    finally:
        plain.close()


class NamedTLSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with the server name (SNI, and the name verified) given apart."""

    def __init__(self, ip: str, name: str, cafile: str, timeout: float = 10) -> None:
        super().__init__(ip, 443, timeout=timeout)
        self.context = ssl.create_default_context(cafile=cafile)
        self.name = name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.name)


def connection(
    ip: str, host: str, cafile: str = "", timeout: float = 10
) -> http.client.HTTPConnection:
    """Plain HTTP to ip:80, or with a cafile HTTPS to ip:443 for the host's name."""
    if cafile:
        return NamedTLSConnection(ip, host, cafile, timeout)
    return http.client.HTTPConnection(ip, 80, timeout=timeout)


@dataclass
class Load:
    """GETs in a loop from a thread until stopped (bounded by max_seconds), counting failures:
    each on a new connection, or with `keep_alive` all on one connection (a new one only
    after a failure, which is counted). With a cafile: HTTPS, the certificate verified. The
    client is load_client's (cheap per request), the rate what the answers allow."""

    ip: str
    host: str
    path: str = "/"
    max_seconds: float = 60
    keep_alive: bool = False
    cafile: str = ""
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    bodies: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)  # 200s by body
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    def _run(self) -> None:
        end = time.monotonic() + self.max_seconds
        tls = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
        request = get_request(self.host, self.path, self.keep_alive)
        conn: RawConnection | None = None
        while not self._stop.is_set() and time.monotonic() < end:
            began = time.monotonic()
            try:
                conn = conn or RawConnection.to(self.ip, self.host, tls, timeout=10)
                status, raw = conn.get(request)
            except (OSError, ValueError, BadAnswer) as error:
                took = time.monotonic() - began
                self.failures.append(
                    f"{time.time():.3f} {type(error).__name__}: {error} (after {took:.1f} s)"
                )
                if conn is not None:
                    conn.close()
                conn = None
                continue
            finally:  # a new connection per request, or after the server said it closes
                if conn is not None and not (self.keep_alive and conn.reusable):
                    conn.close()
                    conn = None
            body = raw.decode(errors="replace")
            if status == 200:
                self.ok += 1
                self.bodies.add(body.strip())
                self.answers[body.strip()] = self.answers.get(body.strip(), 0) + 1
            else:
                took = time.monotonic() - began
                self.failures.append(
                    f"{time.time():.3f} {status}: {body.strip()[:80]} (after {took:.1f} s)"
                )
            time.sleep(0.01)
        if conn is not None:
            conn.close()

    def count(self, body: str) -> int:
        """The 200s so far that said `body`."""
        return self.answers.get(body, 0)


def in_thread(fn, *args):  # type: ignore[no-untyped-def]
    """Run fn(*args) in a thread; returns a getter for its result."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> object:
        thread.join(timeout=60)
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]

    return result


def cut_link(lab: LabInfo, host: str, state: str) -> str:
    """The command that sets the host's port on the lab's switch down or up: its packets go
    nowhere, as when a cable is pulled (no reset, no error: silence)."""
    switch = lab_names.switch_netns(lab.name)
    return f"ip -n {switch} link set {lab_names.switch_port(host)} {state}"


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's, for Sec-WebSocket-Accept


def upgrade_to_websocket(sock: socket.socket, host: str) -> socket.socket:
    """The WebSocket handshake for /socket on an open connection (plain or TLS), its answer
    checked (101 and the right Sec-WebSocket-Accept); the socket is then a raw byte stream."""
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /socket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )  # fmt: skip
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1024)
        assert chunk, head
        head += chunk
    accept = base64.b64encode(hashlib.sha1(f"{key}{WS_GUID}".encode()).digest())
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"Sec-WebSocket-Accept: " + accept in head
    return sock
