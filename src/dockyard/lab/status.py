"""`lab status`: what of a lab is up, read from its lab dir and the system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard.lab import hosts, network, registry, system
from dockyard.lab import spec as specs
from dockyard.lab.down import host_dirs
from dockyard.lab.info import LAB_JSON, LabInfo
from dockyard.lab.ready import engine_ping, port_open


def status(name: str, lab_dir: str | None = None) -> dict[str, Any]:
    specs.validate_name(name)
    lab_dir = lab_dir or specs.LabSpec(name=name).lab_dir
    info = LabInfo.load(lab_dir) if (Path(lab_dir) / LAB_JSON).is_file() else None
    host_rows = [_host_row(h, info) for h in host_dirs(lab_dir)]
    reg = _registry_row(lab_dir, info)
    leftovers = {
        "netns": network.lab_netns(name),
        "gateway_veth": system.link_exists(specs.gateway_veth(name)),
        "nft_table": network.nft_table_exists(name),
    }
    all_up = bool(host_rows) and all(r["running"] and r["sshd"] and r["engine_answers"]
                                     for r in host_rows) and reg["answers"]  # fmt: skip
    anything = any(r["running"] for r in host_rows) or reg["running"] or any(leftovers.values())
    return {
        "name": name,
        "dir": lab_dir,
        "state": "up" if all_up else ("partial" if anything else "down"),
        "subnet": info.subnet if info else None,
        "engine": info.engine if info else None,
        "ssh_config": info.ssh_config if info else None,
        "images": info.images if info else {},
        "registry": reg,
        "hosts": host_rows,
        **leftovers,
    }


def _host_row(hdir: Path, info: LabInfo | None) -> dict[str, Any]:
    known = {h.name: h for h in info.hosts} if info else {}
    host = known.get(hdir.name)
    sock = host.socket if host else ""
    return {
        "name": hdir.name,
        "ip": host.ip if host else None,
        "role": host.role if host else None,
        "engine": host.engine if host else None,
        "running": system.is_ours(hosts.recorded_pid(hdir), str(hdir)),
        "sshd": port_open(host.ip) if host else False,
        "engine_answers": bool(sock) and engine_ping(sock),
    }


def _registry_row(lab_dir: str, info: LabInfo | None) -> dict[str, Any]:
    rdir = registry.registry_dir(lab_dir)
    try:
        pid = int((rdir / "pid").read_text().strip())
    except (OSError, ValueError):
        pid = 0
    address = info.registry if info else None
    answers = bool(address) and registry.status(f"http://{address}/v2/") == 200
    running = system.is_ours(pid, str(rdir / "config.yml"))
    return {"address": address, "running": running, "answers": answers}
