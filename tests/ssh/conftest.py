"""Real OpenSSH servers on loopback: each test gets sshd processes of its own, killed by PID."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.options import SshOptions

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"

SSHD_CONFIG = """\
ListenAddress {addr}:{port}
HostKey {host_key}
PidFile {dir}/sshd.pid
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp {sftp_server}
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
LogLevel VERBOSE
MaxStartups 100
"""


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True
    )
    return path


def free_port(addr: str) -> int:
    with socket.socket() as s:
        s.bind((addr, 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    addr: str
    port: int
    dir: Path
    host_key: Path
    log: Path
    process: subprocess.Popen[bytes]
    frozen: list[int] = field(default_factory=list)

    def known_hosts_line(self) -> str:
        key = self.host_key.with_suffix(".pub").read_text().split()
        return f"[{self.addr}]:{self.port} {key[0]} {key[1]}\n"

    def accepted_logins(self) -> int:
        return self.log.read_text().count("Accepted publickey")

    def session_pids(self) -> list[int]:
        """The per-connection sshd processes this server forked."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def kill_sessions(self) -> None:
        for pid in self.session_pids():
            os.kill(pid, signal.SIGKILL)

    def freeze_sessions(self) -> None:
        """The sshd processes of the open connections stop (SIGSTOP): the host is silent, as
        one whose network was cut (the TCP connection stays up; nothing answers on it). New
        connections are still served. stop() kills the frozen ones.

        Only sshd's own processes: the commands they run go on and end by themselves (a shell
        killed in its start-up files could leave a lock behind, such as pyenv's rehash lock)."""
        for pid in self.session_pids():
            for each in _process_tree(pid):
                if _name_of(each) == "sshd":
                    os.kill(each, signal.SIGSTOP)
                    self.frozen.append(each)

    def stop(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _name_of(pid: int) -> str | None:
    """The process's command name; None once it has ended (a command its session ran can end
    between the listing of the tree and this read)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return None


def _process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # it ended meanwhile
        children = []
    found = [pid]
    for child in children:
        found += _process_tree(int(child))
    return found


@dataclass
class SshLab:
    """Client key, known_hosts and a way to start more sshd processes, for one test."""

    tmp: Path
    client_key: Path
    known_hosts: Path
    user: str
    servers: list[Sshd]

    def start(
        self, addr: str = "127.0.0.1", *, port: int | None = None, host_key: Path | None = None
    ) -> Sshd:
        """A running sshd; a free port is picked again if another process took it meanwhile."""
        base = self.tmp / f"sshd{len(self.servers)}"
        base.mkdir()
        host_key = host_key or keygen(base / "host_key")
        for _ in range(5):
            server = self._spawn(addr, port or free_port(addr), base, host_key)
            if _wait_listening(server):
                self.servers.append(server)
                return server
            if port:
                break
        raise RuntimeError(f"sshd did not start on {addr}: {server.log.read_text()}")

    def _spawn(self, addr: str, port: int, base: Path, host_key: Path) -> Sshd:
        config = base / "sshd_config"
        config.write_text(
            SSHD_CONFIG.format(
                addr=addr,
                port=port,
                host_key=host_key,
                dir=base,
                authorized_keys=self.tmp / "authorized_keys",
                sftp_server=SFTP_SERVER,
            )
        )
        log = base / "sshd.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=log_file
            )
        return Sshd(addr, port, base, host_key, log, process)

    def trust(self, server: Sshd) -> None:
        with self.known_hosts.open("a") as f:
            f.write(server.known_hosts_line())

    def options(self, **changes: object) -> SshOptions:
        base: dict[str, object] = {
            "user": self.user,
            "known_hosts": str(self.known_hosts),
            "keys": (str(self.client_key),),
            "keys_only": True,
            "config": False,
            "connect_timeout": 5.0,
        }
        base.update(changes)
        return SshOptions(**base)  # type: ignore[arg-type]


def _wait_listening(server: Sshd) -> bool:
    """True once sshd says it listens (not a connect: another process may hold the port)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "Server listening on" in server.log.read_text():
            return True
        if server.process.poll() is not None:
            return False
        time.sleep(0.01)
    server.stop()
    return False


@pytest.fixture(scope="session")
def client_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(authorized key, a key the servers do not know)."""
    if not (os.path.exists(SSHD) and shutil.which("ssh-keygen")):
        pytest.fail("OpenSSH server missing: run scripts/install-system.sh")
    base = tmp_path_factory.mktemp("client")
    return keygen(base / "id_ed25519"), keygen(base / "other_ed25519")


@pytest.fixture
def ssh_lab(tmp_path: Path, client_keys: tuple[Path, Path]) -> Iterator[SshLab]:
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
    authorized = tmp_path / "authorized_keys"
    authorized.write_text(client_keys[0].with_suffix(".pub").read_text())
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    lab = SshLab(tmp_path, client_keys[0], known_hosts, getpass.getuser(), [])
    try:
        yield lab
    finally:
        for server in lab.servers:
            server.stop()


@pytest.fixture
def sshd(ssh_lab: SshLab) -> Sshd:
    """One running, trusted sshd on 127.0.0.1."""
    server = ssh_lab.start()
    ssh_lab.trust(server)
    return server


TransportFactory = Callable[..., AsyncsshTransport]


@pytest.fixture
async def make_transport(ssh_lab: SshLab) -> AsyncIterator[TransportFactory]:
    made: list[AsyncsshTransport] = []

    def make(**changes: object) -> AsyncsshTransport:
        transport = AsyncsshTransport(ssh_lab.options(**changes))
        made.append(transport)
        return transport

    yield make
    for transport in made:
        await transport.close()


@pytest.fixture
async def transport(make_transport: TransportFactory, sshd: Sshd) -> AsyncsshTransport:
    return make_transport(port=sshd.port)
