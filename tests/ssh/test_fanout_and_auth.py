"""Fan-out over real hosts where one is down; agent, agent forwarding and ~/.ssh/config."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.commands.base import Raw, cmd
from dockyard.errors import HostKeyError, HostsFailed, SshAuthError, SshConnectError
from dockyard.errors import Result as RunResult
from dockyard.workflows.fanout import on_hosts
from tests.ssh.conftest import Sshd, SshLab, TransportFactory, free_port

pytestmark = pytest.mark.sshd

ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]


async def test_one_host_down_the_others_complete(
    make_transport: TransportFactory, ssh_lab: SshLab, tmp_path: Path
) -> None:
    port = free_port(ADDRESSES[0])
    for addr in ADDRESSES:
        ssh_lab.trust(ssh_lab.start(addr, port=port))
    ssh_lab.servers[-1].stop()  # 127.0.0.4 is down
    transport = make_transport(port=port)
    done = tmp_path / "done"
    done.mkdir()

    async def step(host: str) -> RunResult:
        # a slow step, still running when the down host has already failed
        return await transport.run(host, Raw(f"sleep 0.3 && touch {done}/{host}"))

    with pytest.raises(HostsFailed) as caught:
        await on_hosts(ADDRESSES, step)
    assert list(caught.value.errors) == ["127.0.0.4"]
    assert isinstance(caught.value.errors["127.0.0.4"], SshConnectError)
    assert "127.0.0.4: connection refused on port" in str(caught.value)
    assert sorted(os.listdir(done)) == ["127.0.0.2", "127.0.0.3"]


def accepts(path: str) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


@pytest.fixture
def agent(tmp_path: Path, client_keys: tuple[Path, Path]) -> Iterator[str]:
    """A real ssh-agent holding the authorized key; killed by PID."""
    sock = str(tmp_path / "agent.sock")
    process = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL)
    try:
        for _ in range(500):  # the socket file appears at bind(), a moment before listen()
            if accepts(sock):
                break
            time.sleep(0.01)
        env = {**os.environ, "SSH_AUTH_SOCK": sock}
        subprocess.run(["ssh-add", "-q", str(client_keys[0])], env=env, check=True)
        yield sock
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No default keys and no ~/.ssh/config: only what a test gives counts."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    return home


async def test_the_agent_is_used_when_no_keys_are_given(
    make_transport: TransportFactory,
    sshd: Sshd,
    agent: str,
    empty_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", agent)
    transport = make_transport(port=sshd.port, keys=(), keys_only=False)
    assert (await transport.run("127.0.0.1", cmd("true"))).ok
    refused = make_transport(port=sshd.port, keys=(), keys_only=True)
    with pytest.raises(SshAuthError):
        await refused.run("127.0.0.1", cmd("true"))


async def test_forward_agent_lets_the_host_use_our_agent(
    make_transport: TransportFactory,
    sshd: Sshd,
    agent: str,
    client_keys: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", agent)
    forwarded = make_transport(port=sshd.port, keys_only=False, forward_agent=True)
    listing = await forwarded.run("127.0.0.1", cmd("ssh-add", "-L"))
    assert listing.stdout.split()[1] == client_keys[0].with_suffix(".pub").read_text().split()[1]
    plain = make_transport(port=sshd.port, keys_only=False)
    result = await plain.run("127.0.0.1", Raw('test -z "$SSH_AUTH_SOCK"'), check=False)
    assert result.ok


async def test_ssh_config_host_aliases_are_read(
    make_transport: TransportFactory, sshd: Sshd, ssh_lab: SshLab, empty_home: Path
) -> None:
    (empty_home / ".ssh" / "config").write_text("Host web-alias\n  HostName 127.0.0.1\n")
    ssh_lab.known_hosts.write_text(sshd.known_hosts_line())
    transport = make_transport(port=sshd.port, config=True)
    assert (await transport.run("web-alias", cmd("echo", "aliased"))).stdout == "aliased\n"
    ignored = make_transport(port=sshd.port, config=False)
    with pytest.raises(SshConnectError, match="cannot resolve the host name"):
        await ignored.run("web-alias", cmd("true"))
    explicit = make_transport(port=sshd.port, config=(str(empty_home / ".ssh" / "config"),))
    assert (await explicit.run("web-alias", cmd("true"))).ok


def lab_style_config(ssh_lab: SshLab, sshd: Sshd, known_hosts: str) -> str:
    return (
        "Host web1\n"
        "  HostName 127.0.0.1\n"
        f"  IdentityFile {ssh_lab.client_key}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts}\n"
    )


async def test_ssh_config_keys_and_known_hosts_file_are_used(
    make_transport: TransportFactory, sshd: Sshd, ssh_lab: SshLab, empty_home: Path
) -> None:
    config = empty_home / ".ssh" / "config"
    config.write_text(lab_style_config(ssh_lab, sshd, str(ssh_lab.known_hosts)))
    transport = make_transport(port=sshd.port, keys=(), known_hosts=None, config=(str(config),))
    assert (await transport.run("web1", cmd("true"))).ok
    config.write_text(lab_style_config(ssh_lab, sshd, str(empty_home / "other_known_hosts")))
    untrusted = make_transport(port=sshd.port, keys=(), known_hosts=None, config=(str(config),))
    with pytest.raises(HostKeyError) as caught:
        await untrusted.run("web1", cmd("true"))
    assert f"host key is not in {empty_home}/other_known_hosts" in str(caught.value)


async def test_user_known_hosts_file_none_does_not_turn_checking_off(
    make_transport: TransportFactory, sshd: Sshd, ssh_lab: SshLab, empty_home: Path
) -> None:
    config = empty_home / ".ssh" / "config"
    config.write_text(lab_style_config(ssh_lab, sshd, "none"))
    transport = make_transport(port=sshd.port, keys=(), known_hosts=None, config=(str(config),))
    with pytest.raises(HostKeyError) as caught:
        await transport.run("web1", cmd("true"))
    assert "host key is not in ~/.ssh/known_hosts" in str(caught.value)
