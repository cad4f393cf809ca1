"""Lab hosts as processes: write a host's files, start its init in its namespaces, stop it."""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
from importlib import resources
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import files
from dockyard.lab import spec as specs
from dockyard.lab.spec import Host, LabSpec
from dockyard.lab.system import (
    is_ours,
    mid_exec,
    pids_with_arg,
    run,
    signal_pid,
    spawn_detached,
    which,
)

POLICY_JSON = "/etc/containers/policy.json"
INIT_PID = "init.pid"


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def prepare_host(spec: LabSpec, host: Host, client_pubkey: str) -> Path:
    """The host's dir: configs, its private filesystem trees, a fresh host key."""
    hdir = Path(files.host_dir(spec, host))
    if hdir.exists():
        shutil.rmtree(hdir)
    fs = hdir / "fs"
    write(hdir / "sshd_config", files.sshd_config(spec, host))
    write(hdir / "hosts", files.etc_hosts(spec, host))
    write(hdir / "resolv.conf", files.resolv_conf())
    write(hdir / "hostname", f"{host.name}\n")
    write(hdir / "cgroup-mounts", files.cgroup_mounts(Path("/proc/self/mountinfo").read_text()))
    write(fs / "etc/docker/daemon.json", files.daemon_json(spec, host))
    write(fs / "etc/containers/containers.conf", files.containers_conf(spec, host))
    write(fs / "etc/containers/registries.conf", files.registries_conf(spec))
    (fs / "etc/containers/networks").mkdir(parents=True)
    write(fs / "etc/crontab", files.etc_crontab())
    (fs / "etc/cron.d").mkdir(parents=True)
    if Path(POLICY_JSON).is_file():
        shutil.copy(POLICY_JSON, fs / "etc/containers/policy.json")
    (fs / "root").mkdir(mode=0o700)
    write(fs / "root/.ssh/authorized_keys", client_pubkey, 0o600)
    (fs / "root/.ssh").chmod(0o700)
    for sub in ("home", "var/lib/docker", "var/lib/containers", "var/lib/dockyard"):
        (fs / sub).mkdir(parents=True, exist_ok=True)
    key = hdir / "ssh_host_ed25519_key"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", str(key)])
    return hdir


def start_host(spec: LabSpec, host: Host) -> int:
    """Start the host's init (tini, then host-init.sh) in its netns and new pid/mount/uts ns."""
    hdir = files.host_dir(spec, host)
    init = resources.files("dockyard.lab") / "scripts" / "host-init.sh"
    argv = [
        "ip", "netns", "exec", specs.netns(spec.name, host.name),
        # --kill-child: whatever ends unshare (our TERM, a KILL, a crash) ends the host too
        "unshare", "--pid", "--kill-child=SIGTERM", "--mount", "--uts", "--propagation", "private",
        which("tini") or "tini", "-s", "--", "/bin/sh", str(init), host.name, hdir, host.engine,
    ]  # fmt: skip
    pid = spawn_detached(argv, f"{hdir}/init.log")
    Path(hdir, INIT_PID).write_text(f"{pid}\n")
    return pid


def recorded_pid(hdir: Path) -> int:
    try:
        return int((hdir / INIT_PID).read_text().strip())
    except (OSError, ValueError):
        return 0


def stop_hosts(hdirs: list[Path], timeout: float = 15) -> None:
    """TERM each host's tini and host-init (found by the host dir in their arguments, so also
    after a crash), which stop the engine and sshd; KILL whatever outlives the timeout.
    unshare blocks TERM; one that has not forked tini yet is KILLed, and --kill-child ends a
    child it may still fork."""
    procs = {h: _host_procs(h) for h in hdirs}
    for hdir, pids in procs.items():
        starting = [recorded_pid(hdir)] == pids
        for pid in pids:
            signal_pid(pid, signal.SIGKILL if starting else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _any_alive(procs):
        time.sleep(0.05)
    for hdir, pids in procs.items():
        for pid in reversed(pids):
            if is_ours(pid, str(hdir)):
                signal_pid(pid, signal.SIGKILL)
    for hdir in hdirs:
        (hdir / INIT_PID).unlink(missing_ok=True)


def power_off(hdir: Path, timeout: float = 15) -> None:
    """KILL every process of the host at once, as a power cut stops a server: tini, the pid
    namespace's init, takes every process of the namespace with it (the engine's containers
    too), and nothing gets to clean up. Waits until they are gone."""
    procs = {hdir: _host_procs(hdir)}
    for pid in procs[hdir]:
        signal_pid(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _any_alive(procs) or pids_with_arg(str(hdir)):
        if time.monotonic() > deadline:
            raise LabError(f"lab host {hdir.name}: processes still alive {timeout:g}s after KILL")
        time.sleep(0.05)
    (hdir / INIT_PID).unlink(missing_ok=True)


def _host_procs(hdir: Path) -> list[int]:
    """The recorded unshare (if still ours), and every process with the host dir as argument."""
    recorded = recorded_pid(hdir)
    found = set(pids_with_arg(str(hdir)))
    if is_ours(recorded, str(hdir)) or mid_exec(recorded):  # mid_exec: still starting
        found.add(recorded)
    return sorted(found)


def _any_alive(procs: dict[Path, list[int]]) -> bool:
    return any(is_ours(p, str(h)) or mid_exec(p) for h, pids in procs.items() for p in pids)


def remove_cgroups(name: str, host_names: list[str]) -> None:
    """rmdir (deepest first) the cgroup dirs the host engines left in each v1 hierarchy."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        for host in host_names:
            top = hierarchy / specs.cgroup_parent(name, host)
            if top.is_dir():
                for sub in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if sub.is_dir():
                        _rmdir(sub)
                _rmdir(top)


def _rmdir(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()
