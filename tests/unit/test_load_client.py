"""The e2e load loops' HTTP client (tests/e2e/deploy/load_client.py) reads what the lab's
proxy answers: a Content-Length body, chunks, a body to the end; keep-alive answers one after
another on one socket; anything else is an error, never an answer."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.e2e.deploy.load_client import BadAnswer, RawConnection, get_request


def answered(*answers: bytes) -> tuple[RawConnection, threading.Thread]:
    """A connection whose peer sends `answers`, one per request it reads, then closes."""
    ours, theirs = socket.socketpair()
    ours.settimeout(5)

    def serve() -> None:
        with theirs:
            for answer in answers:
                theirs.recv(65536)
                theirs.sendall(answer)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    return RawConnection(ours), server


def test_keep_alive_answers_by_length_and_by_chunks_on_one_socket() -> None:
    conn, server = answered(
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nhello\n",
        b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;x=y\r\nbad \r\n7\r\ngateway\r\n0\r\n\r\n",
    )
    request = get_request("demo.test", "/", keep_alive=True)
    assert conn.get(request) == (200, b"hello\n") and conn.reusable
    assert conn.get(request) == (502, b"bad gateway") and conn.reusable
    server.join()
    conn.close()


def test_a_body_to_the_end_or_connection_close_ends_the_reuse() -> None:
    conn, _ = answered(b"HTTP/1.0 200 OK\r\n\r\nall of it")
    assert conn.get(get_request("demo.test", "/", keep_alive=False)) == (200, b"all of it")
    assert not conn.reusable
    conn.close()
    conn, _ = answered(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    assert conn.get(get_request("demo.test", "/", keep_alive=True)) == (200, b"ok")
    assert not conn.reusable
    conn.close()


@pytest.mark.parametrize(
    "answer",
    [b"", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b"SSH-2.0-OpenSSH\r\n\r\n"],
    ids=["closed", "cut short", "not http"],
)
def test_what_cannot_be_read_is_an_error(answer: bytes) -> None:
    conn, _ = answered(answer)
    with pytest.raises(BadAnswer):
        conn.get(get_request("demo.test", "/", keep_alive=True))
    conn.close()


def test_the_request_asks_for_a_close_unless_kept_alive() -> None:
    assert (
        get_request("a.test", "/up", keep_alive=True) == b"GET /up HTTP/1.1\r\nHost: a.test\r\n\r\n"
    )
    assert get_request("a.test", "/", keep_alive=False).endswith(b"Connection: close\r\n\r\n")
