"""SFTP uploads (mode, atomic rename) and unix-socket streams through a real sshd."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dockyard.commands.base import cmd
from dockyard.errors import CommandTimeout, SshError
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.transport import UNBOUNDED
from tests.ssh.conftest import Sshd, TransportFactory, free_port

pytestmark = pytest.mark.sshd

HOST = "127.0.0.1"


async def test_upload_writes_the_bytes_with_mode_0600(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    target = tmp_path / "app.env"
    await transport.upload(HOST, b"SECRET=1\n", str(target))
    assert target.read_bytes() == b"SECRET=1\n"
    seen = await transport.run(HOST, cmd("stat", "-c", "%a", str(target)))
    assert seen.stdout.strip() == "600"
    assert transport.stats(HOST).uploads == 1


async def test_upload_sets_the_exact_mode_asked_for(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    target = tmp_path / "script.sh"
    await transport.upload(HOST, b"#!/bin/sh\n", str(target), mode=0o755)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


async def test_upload_replaces_atomically_and_leaves_no_temp_file(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    (tmp_path / "state").mkdir()
    target = tmp_path / "state" / "routes.json"
    target.write_bytes(b"old")
    before = target.stat().st_ino
    await transport.upload(HOST, b"new" * 100_000, str(target))
    assert target.read_bytes() == b"new" * 100_000
    assert target.stat().st_ino != before  # a new file renamed over, not rewritten in place
    assert os.listdir(tmp_path / "state") == ["routes.json"]


async def test_a_reader_never_sees_half_a_file(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    target = tmp_path / "state.json"
    old, new = b"a" * 2_000_000, b"b" * 2_000_000
    target.write_bytes(old)
    seen: set[bytes] = set()
    upload = asyncio.create_task(transport.upload(HOST, new, str(target)))
    while not upload.done():
        seen.add(target.read_bytes())
        await asyncio.sleep(0)
    await upload
    seen.add(target.read_bytes())
    assert seen <= {old, new}
    assert new in seen


async def test_upload_relative_and_home_paths_land_in_home(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    home = Path(os.path.expanduser("~"))
    name = f".dockyard-test-{tmp_path.name}"
    try:
        await transport.upload(HOST, b"x", f"~/{name}")
        assert (home / name).read_bytes() == b"x"
    finally:
        (home / name).unlink(missing_ok=True)


async def test_upload_into_a_missing_directory_says_so(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    with pytest.raises(SshError) as caught:
        await transport.upload(HOST, b"x", str(tmp_path / "missing" / "file"))
    assert str(caught.value).startswith(f"{HOST}: file transfer failed: ")


@pytest.fixture
async def echo_socket(tmp_path: Path) -> AsyncIterator[Path]:
    """A unix socket server on the 'host' that answers each line with it upper-cased."""
    path = tmp_path / "admin.sock"
    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(serve, path=str(path))
    yield path
    server.close()
    for writer in connections:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    await server.wait_closed()


async def test_open_unix_connection_talks_to_a_socket_on_the_host(
    transport: AsyncsshTransport, echo_socket: Path
) -> None:
    reader, writer = await transport.open_unix_connection(HOST, str(echo_socket))
    writer.write(b"hello caddy\n")
    await writer.drain()
    assert await reader.readline() == b"HELLO CADDY\n"
    writer.write(b"two\n")
    writer.write_eof()
    assert await reader.read() == b"TWO\n"
    assert reader.at_eof()
    writer.close()
    await writer.wait_closed()
    stats = transport.stats(HOST)
    assert (stats.streams, stats.connections) == (1, 1)


async def test_open_unix_connection_to_a_missing_socket_is_an_ssh_error(
    transport: AsyncsshTransport, tmp_path: Path
) -> None:
    with pytest.raises(SshError) as caught:
        await transport.open_unix_connection(HOST, str(tmp_path / "nothing.sock"))
    assert str(caught.value).startswith(f"{HOST}: the server refused to open a channel")


async def test_open_tcp_connection_reaches_a_port_seen_from_the_host(
    transport: AsyncsshTransport,
) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello from " + (await reader.readline()))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await transport.open_tcp_connection(HOST, HOST, port)
        writer.write(b"ssh\n")
        await writer.drain()
        assert await reader.read() == b"hello from ssh\n"
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    assert transport.stats(HOST).streams == 1


async def test_open_tcp_connection_to_a_closed_port_is_an_ssh_error(
    transport: AsyncsshTransport,
) -> None:
    with pytest.raises(SshError) as caught:
        await transport.open_tcp_connection(HOST, HOST, free_port(HOST))
    assert str(caught.value).startswith(f"{HOST}: the server refused to open a channel: ")


async def test_uploads_and_streams_survive_a_connection_that_died_unnoticed(
    transport: AsyncsshTransport, sshd: Sshd, echo_socket: Path, tmp_path: Path
) -> None:
    await transport.upload(HOST, b"one", str(tmp_path / "f"))
    sshd.kill_sessions()
    await transport.upload(HOST, b"two", str(tmp_path / "f"))
    assert (tmp_path / "f").read_bytes() == b"two"
    sshd.kill_sessions()
    reader, writer = await transport.open_unix_connection(HOST, str(echo_socket))
    writer.write(b"again\n")
    assert await reader.readline() == b"AGAIN\n"
    writer.close()
    assert transport.stats(HOST).connections == 3


async def test_an_upload_ends_at_the_default_deadline_unless_unbounded(
    make_transport: TransportFactory, sshd: Sshd, tmp_path: Path
) -> None:
    transport = make_transport(port=sshd.port, command_timeout=0.001)
    (tmp_path / "up").mkdir()
    target, data = tmp_path / "up" / "big", os.urandom(64 * 1024 * 1024)
    try:
        with pytest.raises(CommandTimeout) as caught:
            await transport.upload(HOST, data, str(target))
        assert str(caught.value) == f"{HOST}: `upload {target}` did not finish within 0.001s"
        assert os.listdir(tmp_path / "up") == []  # no temp file left behind
        await transport.upload(HOST, data, str(target), timeout=UNBOUNDED)
        assert target.read_bytes() == data
    finally:
        await transport.close()
