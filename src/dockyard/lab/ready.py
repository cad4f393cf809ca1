"""Bounded polls until every lab host answers: sshd with host-key checking on, and its engine."""

from __future__ import annotations

import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab.hosts import recorded_pid
from dockyard.lab.system import cmdline, is_ours, mid_exec

POLL = 0.05
SETTLE = 0.5  # a host must read as stopped this long: /proc reads race with its chain of execs


def engine_ping(sock_path: str, timeout: float = 2) -> bool:
    """GET /_ping on the engine's API socket (dockerd and `podman system service` both answer)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(sock_path)
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")
            reply = conn.recv(4096)
    except OSError:
        return False
    return reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n", 1)[0]


def port_open(ip: str, port: int = 22, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def ssh_login(ssh_config: str, host: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-F", ssh_config, "-o", "BatchMode=yes", host, "true"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def wait_host(ssh_config: str, name: str, ip: str, sock: str, deadline: float) -> None:
    hdir = Path(sock).parent
    logs = f"logs in {hdir.parent}/logs/{name}"
    stopped_since: float | None = None
    while not (port_open(ip) and engine_ping(sock)):
        why = stopped(hdir)
        if why is None:
            stopped_since = None
        elif stopped_since is None:
            stopped_since = time.monotonic()
        elif time.monotonic() - stopped_since >= SETTLE:
            raise LabError(f"lab host {name} stopped while starting: {why}; {logs}")
        if time.monotonic() > deadline:
            what = "engine" if port_open(ip) else "sshd"
            raise LabError(f"lab host {name}: {what} did not answer in time; {logs}")
        time.sleep(POLL)
    last = ""
    while time.monotonic() <= deadline:
        done = ssh_login(ssh_config, name)
        if done.returncode == 0:
            return
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        time.sleep(POLL * 4)
    raise LabError(f"lab host {name}: ssh login failed: {last}")


def stopped(hdir: Path) -> str | None:
    """Why a host's init is gone (the last line of its log), or None while it runs."""
    pid = recorded_pid(hdir)
    if is_ours(pid, str(hdir)) or mid_exec(pid):
        return None
    try:
        text = (hdir / "init.log").read_text()
    except OSError:
        text = ""
    # mount(8) ends its errors with a hint line that says nothing about the cause
    lines = [line.strip() for line in text.splitlines() if line.strip() and "dmesg(1)" not in line]
    if lines:
        return lines[-1]
    now = cmdline(pid)
    return f"no output (pid {pid} {'runs ' + ' '.join(now[:3]) if now else 'is gone'})"


def wait_all(ssh_config: str, hosts: list[tuple[str, str, str]], timeout: float = 60) -> None:
    """Wait for (name, ip, engine socket) of every host, in parallel; the first failure raises."""
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        futures = [pool.submit(wait_host, ssh_config, *host, deadline) for host in hosts]
        for future in futures:
            future.result()
