"""`lab down`: remove everything a lab made; safe twice, after a crash, or after a failed `up`.

What exists is derived from the lab dir (recorded PIDs, host dirs) and from the system (netns
with the lab's prefix, its gateway veth and nft table), never from memory of this process.
`down` removes the lab dir too (the client key, the registry's data, the hosts' last logs); only
the machine's image cache (specs.IMAGE_CACHE, shared by every lab) stays, unless `purge`.
A failed `up` stops at `remove`: it keeps the hosts' logs in <lab dir>/logs to read.
"""

from __future__ import annotations

import contextlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dockyard.lab import hosts, network, registry, system
from dockyard.lab import spec as specs
from dockyard.lab.lock import lab_lock
from dockyard.lab.ready import engine_ping

DOCKER_TIMEOUT = 30
LOGS = "logs"
# what `up` writes at the top of the lab dir; `down` removes these and nothing else
LAB_FILES = (
    "lab.json", "lab.tmp", "ssh_config", "known_hosts", "images", "registry", LOGS,
    "id_ed25519", "id_ed25519.pub", ".lock",
)  # fmt: skip


def host_dirs(lab_dir: str) -> list[Path]:
    """Every host dir the lab made (it has an sshd_config), running or not."""
    root = Path(lab_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "sshd_config").is_file())


def recorded_hosts_alive(lab_dir: str) -> bool:
    dirs = host_dirs(lab_dir)
    return any(system.is_ours(hosts.recorded_pid(h), str(h)) for h in dirs)


def remove_containers(hdir: Path) -> None:
    """Stop (TERM, short grace) then remove every container, so no cgroup dir is left behind."""
    for name in ("docker.sock", "podman.sock"):
        sock = hdir / name
        if sock.exists() and engine_ping(str(sock)):
            docker = ["docker", "-H", f"unix://{sock}"]
            ids = system.run([*docker, "ps", "-aq"], check=False, timeout=DOCKER_TIMEOUT).stdout
            if ids.split():
                system.run([*docker, "stop", "-t", "3", *ids.split()], check=False, timeout=60)
                system.run([*docker, "rm", "-f", *ids.split()], check=False, timeout=60)


def down(name: str, lab_dir: str | None = None, *, purge: bool = False) -> None:
    """Take the lab down and remove its dir (waits for no one: fails if another up/down of it
    is running); `purge` also removes the machine's image cache."""
    specs.validate_name(name)
    system.require_root_linux()
    lab_dir = lab_dir or specs.LabSpec(name=name).lab_dir
    if Path(lab_dir).is_dir():
        with lab_lock(lab_dir, name):
            remove(name, lab_dir)
            remove_lab_files(lab_dir)
    else:
        remove(name, lab_dir)  # no lab dir to lock: namespaces etc. may still be left
    if purge:
        registry.remove_cache()


def remove_lab_files(lab_dir: str) -> None:
    """The files `up` left for the next `up` (key, registry data, logs), then the dir itself if
    that leaves it empty: a --dir that held anything else keeps it."""
    root = Path(lab_dir)
    for leftover in LAB_FILES:
        _remove_path(root / leftover)
    with contextlib.suppress(OSError):  # not empty: someone else's files
        root.rmdir()


def remove(name: str, lab_dir: str) -> None:
    """Stop and remove everything of the lab that runs or is wired into the system, and its
    hosts' dirs (the caller holds the lab's lock); the key, registry data and logs stay."""
    dirs = host_dirs(lab_dir)
    if dirs:  # every host whose engine still answers, recorded PID or not (after a crash)
        with ThreadPoolExecutor(max_workers=len(dirs)) as pool:
            list(pool.map(remove_containers, dirs))
    hosts.stop_hosts(dirs)
    hosts.remove_cgroups(name, [h.name for h in dirs])
    registry.stop_registry(lab_dir)
    network.remove_network(name)
    for hdir in dirs:
        _remove_host_dir(Path(lab_dir), hdir)
    for leftover in ("lab.json", "ssh_config", "known_hosts", "images"):
        _remove_path(Path(lab_dir) / leftover)


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_host_dir(lab_dir: Path, hdir: Path) -> None:
    for point in reversed(system.mounts_under(str(hdir))):  # none expected: hosts mount privately
        system.run(["umount", "-l", point], check=False)
    logs = lab_dir / LOGS / hdir.name
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True, exist_ok=True)
    for log in hdir.glob("*.log"):
        shutil.move(str(log), logs / log.name)
    shutil.rmtree(hdir, ignore_errors=True)
