"""What the user sees when a host cannot be reached, is not trusted or refuses our key."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dockyard.commands.base import cmd
from dockyard.errors import HostKeyError, SshAuthError, SshConnectError
from tests.ssh.conftest import Sshd, SshLab, TransportFactory, free_port, keygen

pytestmark = pytest.mark.sshd

HOST = "127.0.0.1"


def fingerprint(server: Sshd) -> str:
    pub = server.host_key.with_suffix(".pub")
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True)
    return out.stdout.split()[1]  # "256 SHA256:... comment (ED25519)"


async def test_unknown_host_key_says_how_to_trust_it(
    make_transport: TransportFactory, ssh_lab: SshLab
) -> None:
    server = ssh_lab.start()  # not added to known_hosts
    transport = make_transport(port=server.port)
    with pytest.raises(HostKeyError) as caught:
        await transport.run(HOST, cmd("true"))
    assert str(caught.value) == (
        f"{HOST}: host key is not in {ssh_lab.known_hosts} (the server offered ssh-ed25519 key "
        f"{fingerprint(server)}); verify the fingerprint, then run: "
        f"ssh-keyscan -p {server.port} -H {HOST} >> {ssh_lab.known_hosts}"
    )
    assert server.accepted_logins() == 0


async def test_following_the_advice_makes_the_host_trusted(
    make_transport: TransportFactory, ssh_lab: SshLab
) -> None:
    server = ssh_lab.start()
    scan = subprocess.run(
        ["ssh-keyscan", "-p", str(server.port), "-H", HOST], capture_output=True, check=True
    )
    ssh_lab.known_hosts.write_bytes(scan.stdout)
    transport = make_transport(port=server.port)
    assert (await transport.run(HOST, cmd("true"))).ok


async def test_changed_host_key_is_refused_with_a_warning(
    make_transport: TransportFactory, ssh_lab: SshLab, tmp_path: Path
) -> None:
    server = ssh_lab.start(host_key=keygen(tmp_path / "rebuilt_host_key"))
    old_key = keygen(tmp_path / "old_host_key").with_suffix(".pub").read_text().split()
    ssh_lab.known_hosts.write_text(f"[{HOST}]:{server.port} {old_key[0]} {old_key[1]}\n")
    transport = make_transport(port=server.port)
    with pytest.raises(HostKeyError) as caught:
        await transport.run(HOST, cmd("true"))
    message = str(caught.value)
    assert message.startswith(f"{HOST}: HOST KEY CHANGED: {ssh_lab.known_hosts} has a different")
    assert fingerprint(server) in message
    assert f"ssh-keygen -f {ssh_lab.known_hosts} -R '[{HOST}]:{server.port}'" in message
    assert server.accepted_logins() == 0


async def test_the_default_known_hosts_is_used_when_none_is_given(
    make_transport: TransportFactory, ssh_lab: SshLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(ssh_lab.tmp / "home"))
    (ssh_lab.tmp / "home" / ".ssh").mkdir(parents=True)
    server = ssh_lab.start()
    transport = make_transport(port=server.port, known_hosts=None)
    with pytest.raises(HostKeyError) as caught:
        await transport.run(HOST, cmd("true"))
    assert "host key is not in ~/.ssh/known_hosts" in str(caught.value)
    (ssh_lab.tmp / "home" / ".ssh" / "known_hosts").write_text(server.known_hosts_line())
    assert (await make_transport(port=server.port, known_hosts=None).run(HOST, cmd("true"))).ok


async def test_a_refused_key_is_an_auth_error(
    make_transport: TransportFactory, sshd: Sshd, client_keys: tuple[Path, Path]
) -> None:
    transport = make_transport(port=sshd.port, keys=(str(client_keys[1]),))
    with pytest.raises(SshAuthError) as caught:
        await transport.run(HOST, cmd("true"))
    user = transport.options.user
    assert str(caught.value) == (
        f"{HOST}: the server refused our SSH keys for user {user} on port {sshd.port} (tried "
        f"{client_keys[1]}); check ssh/user and ssh/keys, or add your public key to "
        f"~{user}/.ssh/authorized_keys on the server"
    )


async def test_a_refused_user_is_named_with_every_key_tried(
    make_transport: TransportFactory, sshd: Sshd, client_keys: tuple[Path, Path]
) -> None:
    transport = make_transport(
        port=sshd.port,
        user="nobody",
        keys=(str(client_keys[0]),),
        key_data=(client_keys[1].read_text(),),
    )
    with pytest.raises(SshAuthError) as caught:
        await transport.run(HOST, cmd("true"))
    assert str(caught.value) == (
        f"{HOST}: the server refused our SSH keys for user nobody on port {sshd.port} (tried "
        f"{client_keys[0]}, 1 key(s) from ssh/key_data); check ssh/user and ssh/keys, or add "
        "your public key to ~nobody/.ssh/authorized_keys on the server"
    )


async def test_a_missing_key_file_is_named(make_transport: TransportFactory, sshd: Sshd) -> None:
    transport = make_transport(port=sshd.port, keys=("/nonexistent/id_ed25519",))
    with pytest.raises(SshAuthError) as caught:
        await transport.run(HOST, cmd("true"))
    assert str(caught.value) == (
        f"{HOST}: ssh/keys: /nonexistent/id_ed25519 does not exist; fix the path"
    )


async def test_key_data_authenticates(
    make_transport: TransportFactory, sshd: Sshd, client_keys: tuple[Path, Path]
) -> None:
    transport = make_transport(port=sshd.port, keys=(), key_data=(client_keys[0].read_text(),))
    assert (await transport.run(HOST, cmd("true"))).ok


async def test_a_closed_port_names_host_and_cause(make_transport: TransportFactory) -> None:
    transport = make_transport(port=free_port(HOST))
    with pytest.raises(SshConnectError) as caught:
        await transport.run(HOST, cmd("true"))
    port = transport.options.port
    assert str(caught.value) == (
        f"{HOST}: connection refused on port {port}: sshd is not running there, or listens on "
        "another port; start sshd, or set ssh/port"
    )


async def test_an_unknown_name_is_a_dns_error(make_transport: TransportFactory) -> None:
    transport = make_transport(port=22)
    with pytest.raises(SshConnectError) as caught:
        await transport.run("no-such-host.invalid", cmd("true"))
    message = str(caught.value)
    assert message.startswith("no-such-host.invalid: cannot resolve the host name (")
    assert message.endswith("); check the name in the config")


@pytest.fixture
async def tarpit() -> AsyncIterator[int]:
    """A TCP port that accepts and then says nothing, like a host behind a dropping firewall."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, HOST, 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_a_silent_host_times_out(make_transport: TransportFactory, tarpit: int) -> None:
    transport = make_transport(port=tarpit, connect_timeout=0.3)
    with pytest.raises(SshConnectError) as caught:
        await transport.run(HOST, cmd("true"))
    assert str(caught.value) == (
        f"{HOST}: timed out connecting to port {tarpit}: a firewall drops the packets, the address "
        f"is wrong, or the host is down; check the address and that port {tarpit} is open to you"
    )


async def test_a_missing_known_hosts_file_trusts_nothing(
    make_transport: TransportFactory, sshd: Sshd, tmp_path: Path
) -> None:
    missing = tmp_path / "not-yet" / "known_hosts"
    transport = make_transport(port=sshd.port, known_hosts=str(missing))
    with pytest.raises(HostKeyError) as caught:
        await transport.run(HOST, cmd("true"))
    assert f"host key is not in {missing} (the server offered" in str(caught.value)


async def test_a_host_key_of_another_type_is_reported_as_changed(
    make_transport: TransportFactory, sshd: Sshd, ssh_lab: SshLab, tmp_path: Path
) -> None:
    """known_hosts has only an RSA key; the server has only ed25519: sshd drops the handshake."""
    rsa = tmp_path / "old_rsa_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa)])
    kind, key = rsa.with_suffix(".pub").read_text().split()[:2]
    ssh_lab.known_hosts.write_text(f"[{HOST}]:{sshd.port} {kind} {key}\n")
    transport = make_transport(port=sshd.port)
    with pytest.raises(HostKeyError) as caught:
        await transport.run(HOST, cmd("true"))
    assert str(caught.value).startswith(f"{HOST}: HOST KEY CHANGED: ")
    assert fingerprint(sshd) in str(caught.value)
