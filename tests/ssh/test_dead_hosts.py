"""A host that stops answering in the middle of a run (issue #12): its keepalives go unanswered,
so whatever waits on it ends within silence_limit, bounded or not, with one line naming the
host; every later use of it in the same run fails at once; a connection dropped by the server
(sshd restarted) is not mistaken for it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dockyard.commands.base import cmd
from dockyard.errors import HostUnreachable, SshConnectError
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.options import SshOptions
from dockyard.ssh.transport import UNBOUNDED
from tests.ssh.conftest import Sshd, TransportFactory

pytestmark = pytest.mark.sshd

HOST = "127.0.0.1"
# keepalives every 0.3 s, 2 unanswered: silent for 0.9 s means gone
KEEPALIVE = {"keepalive_interval": 0.3, "keepalive_count_max": 2}
SLACK = 1.5  # seconds the loop and a loaded machine may add to the bound
UNREACHABLE = (
    f"{HOST}: stopped answering (no reply to SSH keepalives for 0.9s: the host is down or the "
    "network to it is cut); check that it is up and reachable, then try again"
)


@pytest.fixture
async def silent_later(make_transport: TransportFactory, sshd: Sshd) -> AsyncsshTransport:
    """A transport connected to sshd (one command ran), with short keepalives."""
    transport = make_transport(port=sshd.port, **KEEPALIVE)
    await transport.run(HOST, cmd("true"))
    return transport


async def ends_unreachable(step: object) -> float:
    """Seconds until the awaitable `step` raised HostUnreachable (with the one-line message)."""
    start = time.monotonic()
    with pytest.raises(HostUnreachable) as caught:
        await step  # type: ignore[misc]
    assert str(caught.value) == UNREACHABLE
    return time.monotonic() - start


async def test_a_command_on_a_host_that_goes_silent_ends_within_the_bound(
    silent_later: AsyncsshTransport, sshd: Sshd
) -> None:
    running = asyncio.create_task(silent_later.run(HOST, cmd("sleep", "30")))
    await asyncio.sleep(0.2)
    sshd.freeze_sessions()
    assert await ends_unreachable(running) < silent_later.options.silence_limit + SLACK


async def test_an_unbounded_step_dies_with_the_link_too(
    silent_later: AsyncsshTransport, sshd: Sshd
) -> None:
    """A build or an image load has no deadline; the keepalives still end it."""
    running = asyncio.create_task(silent_later.run(HOST, cmd("sleep", "30"), timeout=UNBOUNDED))
    await asyncio.sleep(0.2)
    sshd.freeze_sessions()
    assert await ends_unreachable(running) < silent_later.options.silence_limit + SLACK


async def test_every_later_step_on_that_host_fails_at_once(
    silent_later: AsyncsshTransport, sshd: Sshd, tmp_path: Path
) -> None:
    sshd.freeze_sessions()
    await ends_unreachable(silent_later.run(HOST, cmd("true")))
    # sshd itself still accepts connections: failing at once is the transport's decision
    assert await ends_unreachable(silent_later.run(HOST, cmd("true"))) < 0.2
    assert await ends_unreachable(silent_later.upload(HOST, b"x", str(tmp_path / "f"))) < 0.2
    assert await ends_unreachable(silent_later.open_tcp_connection(HOST, HOST, 1)) < 0.2
    assert silent_later.stats(HOST).connections == 1
    assert sshd.accepted_logins() == 1


async def test_a_stream_waiting_on_a_silent_host_ends_within_the_bound(
    silent_later: AsyncsshTransport, sshd: Sshd
) -> None:
    """A health probe or an admin API request reads through a channel of the connection."""
    accepted: list[asyncio.StreamWriter] = []

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    quiet = await asyncio.start_server(say_nothing, HOST, 0)
    port = quiet.sockets[0].getsockname()[1]
    try:
        reader, writer = await silent_later.open_tcp_connection(HOST, HOST, port)
        sshd.freeze_sessions()
        assert await ends_unreachable(reader.read(10)) < silent_later.options.silence_limit + SLACK
        writer.close()
    finally:
        for each in accepted:
            each.close()
        quiet.close()
        await quiet.wait_closed()


async def test_a_command_cut_off_by_a_dropped_connection_says_so(
    silent_later: AsyncsshTransport, sshd: Sshd
) -> None:
    """Not a raw "exited 255": the connection ended before the command did."""
    running = asyncio.create_task(silent_later.run(HOST, cmd("sleep", "30")))
    await asyncio.sleep(0.2)
    sshd.kill_sessions()
    with pytest.raises(SshConnectError) as caught:
        await running
    assert not isinstance(caught.value, HostUnreachable)
    assert str(caught.value) == (
        f"{HOST}: the connection was lost while `sleep 30` ran; check that sshd is running"
    )
    assert (await silent_later.run(HOST, cmd("echo", "again"))).stdout == "again\n"


def test_the_default_bound_is_within_15_seconds() -> None:
    assert SshOptions().silence_limit <= 15
