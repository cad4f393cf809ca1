"""The load loops' HTTP/1.1 client: one socket, a GET is one prebuilt write, the answer read by
its Content-Length or its chunks. It spends under half of http.client's CPU per request (that
parses every header into an email.message), which counts on a 2-core machine running four lab
suites beside the clients. Anything it cannot read is an error, counted as a failed request."""

from __future__ import annotations

import socket
import ssl


class BadAnswer(Exception):
    """An answer this client cannot read: counted as a failed request, never passed over."""


class RawConnection:
    """One HTTP/1.1 connection on a socket (`to` opens one)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self.reusable = True  # False once an answer said `Connection: close` or ran to the end

    @classmethod
    def to(cls, ip: str, name: str, tls: ssl.SSLContext | None, timeout: float) -> RawConnection:
        """To ip:80, or with a TLS context to ip:443 (the name sent and verified)."""
        sock = socket.create_connection((ip, 443 if tls else 80), timeout=timeout)
        try:
            return cls(tls.wrap_socket(sock, server_hostname=name) if tls else sock)
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        self._sock.close()

    def get(self, request: bytes) -> tuple[int, bytes]:
        """Send a whole request; the status and body of its answer."""
        self._sock.sendall(request)
        head = self._until(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise BadAnswer(f"status line {status_line[:80]!r}")
        headers = {}
        for line in lines:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = self._exactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = self._chunks()
        else:
            body = self._to_end()
            self.reusable = False
        if headers.get(b"connection", b"").lower() == b"close":
            self.reusable = False
        return int(parts[1]), body

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise BadAnswer("the connection closed mid-answer")
        self._buffer += chunk

    def _until(self, mark: bytes) -> bytes:
        while (at := self._buffer.find(mark)) < 0:
            self._fill()
        found, self._buffer = self._buffer[:at], self._buffer[at + len(mark) :]
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _chunks(self) -> bytes:
        body = b""
        while size := int(self._until(b"\r\n").split(b";")[0], 16):
            body += self._exactly(size)
            self._until(b"\r\n")
        self._until(b"\r\n")  # no trailers are sent to these clients
        return body

    def _to_end(self) -> bytes:
        while chunk := self._sock.recv(65536):
            self._buffer += chunk
        found, self._buffer = self._buffer, b""
        return found


def get_request(host: str, path: str, keep_alive: bool) -> bytes:
    close = b"" if keep_alive else b"Connection: close\r\n"
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n".encode() + close + b"\r\n"
