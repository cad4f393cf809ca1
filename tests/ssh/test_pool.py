"""Many hosts: bounded concurrent connects, one connection each, jump hosts, proxy commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from dockyard.commands.base import cmd
from dockyard.errors import HostKeyError, SshConnectError
from dockyard.ssh.options import JumpHost
from tests.ssh.conftest import SshLab, TransportFactory, free_port

pytestmark = pytest.mark.sshd

ADDRESSES = [f"127.0.0.{i}" for i in range(2, 8)]


def start_hosts(ssh_lab: SshLab, addresses: list[str]) -> int:
    """Trusted sshd processes on each address, all on one port (SshOptions has one port)."""
    port = free_port(addresses[0])
    for addr in addresses:
        ssh_lab.trust(ssh_lab.start(addr, port=port))
    return port


async def test_every_host_gets_one_connection(
    make_transport: TransportFactory, ssh_lab: SshLab
) -> None:
    port = start_hosts(ssh_lab, ADDRESSES)
    transport = make_transport(port=port, max_concurrent_starts=2)
    runs = [transport.run(host, cmd("hostname", "-I")) for host in ADDRESSES for _ in range(3)]
    results = await asyncio.gather(*runs)
    assert {r.host for r in results} == set(ADDRESSES)
    assert {host: s.connections for host, s in transport.all_stats().items()} == {
        host: 1 for host in ADDRESSES
    }
    assert [server.accepted_logins() for server in ssh_lab.servers] == [1] * len(ADDRESSES)


@dataclass
class Tarpit:
    """Accepts TCP connections and never speaks SSH; records how many were open at once."""

    port: int = 0
    open_now: int = 0
    peak: int = 0
    accepted: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_now += 1
        self.accepted += 1
        self.peak = max(self.peak, self.open_now)
        self.writers.append(writer)
        await reader.read()  # until the client gives up and closes
        self.open_now -= 1
        writer.close()


@pytest.fixture
async def tarpits() -> AsyncIterator[Tarpit]:
    tarpit = Tarpit()
    tarpit.port = free_port(ADDRESSES[0])
    servers = [await asyncio.start_server(tarpit.hold, a, tarpit.port) for a in ADDRESSES]
    yield tarpit
    for writer in tarpit.writers:
        writer.close()
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_connects_are_bounded_by_max_concurrent_starts(
    make_transport: TransportFactory, tarpits: Tarpit
) -> None:
    transport = make_transport(port=tarpits.port, max_concurrent_starts=2, connect_timeout=0.3)
    outcomes = await asyncio.gather(
        *(transport.run(host, cmd("true")) for host in ADDRESSES), return_exceptions=True
    )
    assert all(isinstance(o, SshConnectError) for o in outcomes)
    assert tarpits.accepted == len(ADDRESSES)
    assert tarpits.peak == 2


async def test_jump_host_carries_every_target(
    make_transport: TransportFactory, ssh_lab: SshLab
) -> None:
    jump = ssh_lab.start("127.0.0.1")
    ssh_lab.trust(jump)
    targets = ADDRESSES[:2]
    port = start_hosts(ssh_lab, targets)
    proxy = JumpHost("127.0.0.1", jump.port, ssh_lab.user)
    transport = make_transport(port=port, proxy=proxy)
    results = await asyncio.gather(*(transport.run(host, cmd("echo", host)) for host in targets))
    assert [r.stdout for r in results] == [f"{host}\n" for host in targets]
    assert jump.accepted_logins() == 1  # one jump connection, shared by both targets
    assert transport.stats(f"jump:{proxy}").connections == 1
    assert [s.accepted_logins() for s in ssh_lab.servers[1:]] == [1, 1]


async def test_an_untrusted_jump_host_is_named_in_the_error(
    make_transport: TransportFactory, ssh_lab: SshLab
) -> None:
    jump = ssh_lab.start("127.0.0.1")  # not trusted
    port = start_hosts(ssh_lab, ADDRESSES[:1])
    proxy = JumpHost("127.0.0.1", jump.port, ssh_lab.user)
    transport = make_transport(port=port, proxy=proxy)
    with pytest.raises(HostKeyError) as caught:
        await transport.run(ADDRESSES[0], cmd("true"))
    assert str(caught.value).startswith(
        f"{ADDRESSES[0]}: via jump host {proxy}: host key is not in {ssh_lab.known_hosts}"
    )
    assert f"ssh-keyscan -p {jump.port} -H 127.0.0.1" in str(caught.value)


async def test_proxy_command_with_ssh_w(make_transport: TransportFactory, ssh_lab: SshLab) -> None:
    jump = ssh_lab.start("127.0.0.1")
    ssh_lab.trust(jump)
    port = start_hosts(ssh_lab, ADDRESSES[:1])
    proxy_command = (
        f"ssh -q -i {ssh_lab.client_key} -o BatchMode=yes"
        f" -o UserKnownHostsFile={ssh_lab.known_hosts}"
        f" -p {jump.port} -W %h:%p {ssh_lab.user}@127.0.0.1"
    )
    transport = make_transport(port=port, proxy_command=proxy_command)
    assert (await transport.run(ADDRESSES[0], cmd("echo", "via"))).stdout == "via\n"
    assert jump.accepted_logins() == 1
