"""The lab's seam to the local system: running tools, checking what is installed, reading /proc."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from dockyard.errors import LabError

INSTALL_HINT = "run: sudo scripts/install-system.sh"
# tool -> Debian package that provides it
TOOLS = {
    "ip": "iproute2",
    "nft": "nftables",
    "unshare": "util-linux",
    "tini": "tini",
    "sshd": "openssh-server",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "cron": "cron",  # a cron daemon per host (host-init.sh)
    "docker-registry": "docker-registry",
    "dockerd": "docker.io",
    "docker": "docker.io",
}
ENGINE_TOOLS = {"podman": "podman", "netavark": "netavark", "aardvark-dns": "aardvark-dns"}
SBIN_PATHS = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/lib/podman")
BUSYBOX = "/bin/busybox"


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 60, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run a local tool; a failure becomes one LabError line with the tool's last stderr line."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, input=input, env=env
        )
    except FileNotFoundError:
        raise LabError(f"`{argv[0]}` is not installed; {INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:g}s") from None
    if check and done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {tail}")
    return done


def which(tool: str) -> str | None:
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(SBIN_PATHS)
    return shutil.which(tool, path=path)


def require_root_linux() -> None:
    if not sys.platform.startswith("linux"):
        raise LabError("the lab needs Linux (network namespaces); run it on a Linux machine")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, mounts); run it with sudo")


def require_tools(engine: str) -> None:
    needed = dict(TOOLS)
    if engine == "podman":
        needed.update(ENGINE_TOOLS)
    missing = sorted({pkg for tool, pkg in needed.items() if which(tool) is None})
    if not Path(BUSYBOX).is_file():
        missing.append("busybox-static")
    if missing:
        raise LabError(f"missing packages for the lab ({', '.join(missing)}); {INSTALL_HINT}")


def netns_list() -> list[str]:
    done = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def link_exists(name: str) -> bool:
    return run(["ip", "link", "show", "dev", name], check=False).returncode == 0


def overlapping_route(subnet: str) -> str | None:
    """A route of the root namespace that overlaps the subnet (another network, another lab)."""
    net = ipaddress.ip_network(subnet)
    routes = json.loads(run(["ip", "-j", "-4", "route", "show"]).stdout or "[]")
    for route in routes:
        dst = route.get("dst", "")
        if dst == "default":
            continue
        other = ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False)
        if net.overlaps(other):
            return f"{dst} dev {route.get('dev', '?')}"
    return None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def mid_exec(pid: int) -> bool:
    """A live process whose command line reads empty: it is between two execs (a host starts
    through sh, ip netns exec, unshare and tini), so it cannot be judged by its arguments yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[:1]
    return pid > 0 and state != ["Z"] and not cmdline(pid)


def is_ours(pid: int, marker: str) -> bool:
    """Whether PID still runs what we started (PIDs wrap): its cmdline names `marker`."""
    return pid > 0 and any(marker in arg for arg in cmdline(pid))


def pids_with_arg(arg: str) -> list[int]:
    """Processes with `arg` as one of their arguments (how a lab finds its hosts' processes)."""
    wanted = arg.encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if wanted in (proc / "cmdline").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return sorted(found)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def signal_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def spawn_detached(argv: Sequence[str], log: str) -> int:
    """Start argv in its own session, outliving us and reaped by init; return its PID."""
    script = 'setsid "$@" >"$LOG" 2>&1 </dev/null & echo $!'
    env = {**os.environ, "LOG": log}
    done = run(["sh", "-c", script, "sh", *argv], env=env, timeout=10)
    return int(done.stdout.strip())


def mounts_under(path: str) -> list[str]:
    """Mount points of the root mount namespace at or below path."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == path or point.startswith(path.rstrip("/") + "/"):
            found.append(point)
    return found
