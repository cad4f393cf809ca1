"""`lab reboot HOST`: one lab host powered off and started again, as a server reboots.

Off: every process of the host is killed at once (its sshd, cron, engine, containers and
whatever its users started: the pid namespace's init is KILLed, so the kernel kills the rest),
with no chance to clean up, as when the power goes. What a real reboot keeps stays (the host's
own filesystem under <dir>/<host>/fs: the engine's data, users' homes, crontabs); what it loses
goes (its tmpfs /run and /tmp, its mounts, its containers' cgroups). Its network namespace is
the machine's wiring and stays, with its address. On: host-init.sh again, as `lab up` starts
it (its cron daemon runs the @reboot lines), then the wait until sshd and the engine answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

from dockyard.lab import files, hosts, ready
from dockyard.lab import spec as specs
from dockyard.lab.info import HostInfo, LabInfo
from dockyard.lab.lock import lab_lock
from dockyard.lab.spec import Engine, Host, LabSpec, Role


def _quiet(_: str) -> None:
    pass


def reboot(
    name: str,
    host: str,
    *,
    off_for: float = 0,
    lab_dir: str | None = None,
    timeout: float = 60,
    progress: Callable[[str], None] = _quiet,
) -> HostInfo:
    """Power the lab's host off, wait `off_for` seconds, start it again and wait until it
    answers; its HostInfo (a new init pid)."""
    specs.validate_name(name)
    lab_dir = lab_dir or LabSpec(name=name).lab_dir
    with lab_lock(lab_dir, name):
        info = LabInfo.load(lab_dir)
        target = info.host(host)
        engine = cast(Engine, target.engine)
        spec = LabSpec(name=info.name, subnet=info.subnet, engine=engine, dir=info.dir)
        lab_host = Host(target.name, target.ip, cast(Role, target.role), engine)
        hdir = Path(files.host_dir(spec, lab_host))
        started = time.monotonic()
        hosts.power_off(hdir)
        hosts.remove_cgroups(info.name, [target.name])
        progress(f"{target.name} is off ({time.monotonic() - started:.1f}s)")
        time.sleep(max(0.0, off_for))
        pid = hosts.start_host(spec, lab_host)
        rebooted = replace(target, pids={**target.pids, "init": pid})
        _save(info, rebooted)
        started = time.monotonic()
        deadline = started + timeout
        ready.wait_host(info.ssh_config, target.name, target.ip, target.socket, deadline)
        progress(f"{target.name} is up again: sshd and {target.engine} answer "
                 f"({time.monotonic() - started:.1f}s)")  # fmt: skip
        return rebooted


def _save(info: LabInfo, host: HostInfo) -> None:
    others = tuple(host if h.name == host.name else h for h in info.hosts)
    replace(info, hosts=others).save()
