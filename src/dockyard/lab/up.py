"""`lab up`: check, then make the network, registry and hosts, wait for them, build the images.

If anything fails after the first thing is made, everything is taken down again before the error
is raised, so a failed `up` leaves nothing half-made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import build, files, hosts, network, ready, registry, system
from dockyard.lab import spec as specs
from dockyard.lab.down import recorded_hosts_alive, remove
from dockyard.lab.info import HostInfo, LabInfo
from dockyard.lab.lock import first_build, lab_lock
from dockyard.lab.spec import LabSpec

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def preflight(spec: LabSpec) -> None:
    """Everything that can be checked before anything is made: nothing to undo on failure."""
    specs.validate(spec)
    system.require_root_linux()
    system.require_tools(spec.engine)
    again = f"run: dockyard lab down --name {spec.name}"
    if network.lab_netns(spec.name) or system.link_exists(specs.gateway_veth(spec.name)):
        raise LabError(f"lab {spec.name} is already up (or half up); {again}")
    if network.nft_table_exists(spec.name) or recorded_hosts_alive(spec.lab_dir):
        raise LabError(f"lab {spec.name} is already up (or half up); {again}")
    clash = system.overlapping_route(spec.subnet)
    if clash:
        raise LabError(f"--subnet {spec.subnet} overlaps route {clash}; choose another --subnet")


def up(spec: LabSpec, *, build_images: bool = True, timeout: float = 60,
       progress: Progress = _quiet) -> LabInfo:  # fmt: skip
    """Bring the lab up and return its description (also saved as <lab dir>/lab.json)."""
    specs.validate(spec)  # before the lock, which makes the lab dir
    system.require_root_linux()
    with lab_lock(spec.lab_dir, spec.name):
        return _up(spec, build_images, timeout, progress)


def _up(spec: LabSpec, build_images: bool, timeout: float, progress: Progress) -> LabInfo:
    preflight(spec)
    try:
        with first_build(build_images, progress):
            info = _make(spec, timeout, progress)
            if build_images:
                progress("building and pushing the lab's images on the builder")
                refs = build.build_and_push(spec.lab_dir, info.builder.socket, info.registry)
                info = replace(info, images=refs)
                info.save()
    except BaseException as error:
        progress("failed: taking down what was made")
        remove(spec.name, spec.lab_dir)
        if isinstance(error, OSError):  # e.g. a lab dir that cannot be written
            what = f"{error.strerror}: {error.filename}" if error.filename else str(error)
            raise LabError(f"lab up failed ({what}); took down what was made") from error
        raise
    return info


def _make(spec: LabSpec, timeout: float, progress: Progress) -> LabInfo:
    lab_dir = Path(spec.lab_dir)
    lab_dir.mkdir(parents=True, exist_ok=True)
    pubkey = _client_key(lab_dir)
    progress(f"network {spec.subnet} (switch, gateway {specs.gateway_ip(spec.subnet)}, guard)")
    network.create_switch(spec)
    if registry.seed_from_cache(spec.lab_dir):
        progress(f"registry seeded from the machine's image cache ({specs.IMAGE_CACHE})")
    registry_pid = registry.start_registry(spec)
    host_infos, known = _start_hosts(spec, pubkey)
    (lab_dir / "known_hosts").write_text("".join(known))
    (lab_dir / "ssh_config").write_text(files.ssh_config(spec))
    info = LabInfo(
        name=spec.name, subnet=spec.subnet, engine=spec.engine, dir=spec.lab_dir,
        registry=specs.registry_address(spec.subnet),
        registry_host=f"{specs.REGISTRY_HOST}:{specs.REGISTRY_PORT}",
        hosts=tuple(host_infos), pids={"registry": registry_pid},
    )  # fmt: skip
    info.save()
    progress(f"waiting for sshd and {spec.engine} on {len(host_infos)} hosts")
    started = time.monotonic()
    ready.wait_all(info.ssh_config, [(h.name, h.ip, h.socket) for h in info.hosts], timeout)
    progress(f"all hosts answer ({time.monotonic() - started:.1f}s)")
    return info


def _client_key(lab_dir: Path) -> str:
    """The lab's client key (kept across up/down); its public half."""
    key = lab_dir / "id_ed25519"
    if not key.exists():
        argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dockyard-lab", "-f"]
        system.run([*argv, str(key)])
    return (lab_dir / "id_ed25519.pub").read_text()


def _start_hosts(spec: LabSpec, pubkey: str) -> tuple[list[HostInfo], list[str]]:
    """Write, wire and start every host; its HostInfo and its known_hosts line."""
    host_infos, known = [], []
    for host in specs.hosts(spec):
        hdir = hosts.prepare_host(spec, host, pubkey)
        network.create_host_netns(spec, host)
        pid = hosts.start_host(spec, host)
        sock = specs.engine_socket(spec.lab_dir, host)
        ns = specs.netns(spec.name, host.name)
        host_infos.append(
            HostInfo(host.name, host.ip, host.role, host.engine, sock, ns, {"init": pid})
        )
        known.append(files.known_hosts_line(host, (hdir / "ssh_host_ed25519_key.pub").read_text()))
    return host_infos, known
