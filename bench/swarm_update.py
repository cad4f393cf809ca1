"""A rolling update on Docker Swarm (`backend: swarm`) against dockyard's own SSH deploy of the
same app on the same 3 servers, in the same run (docs/swarm.md). Writes
bench/results/swarm_update.json. Needs root; never asserts a time.

Method.
- Lab `bswm` (10.239.0.0/24): 3 docker servers, the lab registry, the lab's demo image (busybox
  httpd: `/` and `/up`). Torn down at the start (if left over) and at the end.
- The app: service demo, a web role on the 3 servers, proxied (`proxy/healthcheck` GET /up every
  1 s, app_port 80), readiness_delay 1, deploy_timeout 15, drain_timeout 10, images through the
  lab registry. Each backend with its defaults: over SSH every host boots the new container
  beside the old one at once (health-gated, then the switch and the old one's drain); on the
  swarm the 3 tasks are updated one at a time (parallelism 1, start-first, each new task watched
  `monitor` 5 s), behind dockyard's Caddy edge on each host.
- Versions: every timed deploy is a new tag (the demo image's manifest put under that tag in
  the lab registry), pulled on every server before the deploy is timed, so delivery costs both
  backends the same (`-P`: no build; each server's pull finds the image there) and the figures
  are of the rollout.
- SSH first: `setup -P` of a first version (not timed), RUNS timed `deploy -P` of new versions,
  then `remove -y`. Then the swarm on the same servers: `setup -P` (forms the swarm, deploys a
  first version; not timed), RUNS timed `deploy -P` of new versions. Wall time is fork to exit
  of the CLI. Figures: the medians, and the ratio swarm/ssh of the medians.
- The machine is shared (2 cores, other work): the load average is recorded before each phase.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import summary, write_result

from dockyard import lab as labs

NAME, SUBNET = "bswm", "10.239.0.0/24"
RUNS = 5
HOST = "demo.test"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the lab is local

CONFIG = """service: demo
image: demo
servers:
  web:
{hosts}
proxy:
  host: {host}
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {registry}
  username: lab
  password:
    - REGISTRY_PASSWORD
env:
  clear:
    SERVICE: demo
ssh:
  config: {ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 15
drain_timeout: 10
x-dockyard:
  proxy:
    image: {proxy}
"""


def write_app(root: Path, lab: labs.LabInfo, swarm: bool) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    text = CONFIG.format(
        hosts="\n".join(f"    - {h.ip}" for h in lab.servers), host=HOST,
        registry=lab.registry_host, ssh_config=lab.ssh_config, proxy=lab.images["proxy"],
    )  # fmt: skip
    if swarm:
        text += "  backend: swarm\n"
    (root / "config" / "deploy.yml").write_text(text)


def dockyard(root: Path, *args: str) -> float:
    """Seconds the CLI took, fork to exit (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", *args], cwd=root, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"dockyard {' '.join(args)}: {done.stdout}{done.stderr}")
    return took


def new_version(lab: labs.LabInfo, tag: str) -> None:
    """demo:<tag> in the lab registry (the demo image's manifest under another tag), then pulled
    on every server, so a deploy of it finds it delivered."""
    base = f"http://{lab.registry}/v2/demo/manifests"
    get = urllib.request.Request(f"{base}/v1", headers={"Accept": MANIFEST})
    with OPENER.open(get, timeout=30) as response:
        manifest = response.read()
    put = urllib.request.Request(
        f"{base}/{tag}", data=manifest, method="PUT", headers={"Content-Type": MANIFEST}
    )
    with OPENER.open(put, timeout=30) as response:
        if response.status != 201:
            raise RuntimeError(f"PUT demo:{tag}: HTTP {response.status}")
    pull = f"docker pull -q {lab.registry_host}/demo:{tag}"
    for host in lab.servers:
        subprocess.run(
            ["ssh", "-F", lab.ssh_config, host.name, pull], check=True, capture_output=True,
            timeout=120,
        )  # fmt: skip


def answers(ip: str) -> str:
    request = urllib.request.Request(f"http://{ip}/", headers={"Host": HOST})
    with OPENER.open(request, timeout=10) as response:
        return str(response.read().decode().strip())


def phase(lab: labs.LabInfo, root: Path, backend: str) -> dict[str, Any]:
    first = f"{backend}0"
    new_version(lab, first)
    load = os.getloadavg()[0]
    setup_s = dockyard(root, "setup", "-P", "--version", first)
    times = []
    for run in range(1, RUNS + 1):
        tag = f"{backend}{run}"
        new_version(lab, tag)
        times.append(dockyard(root, "deploy", "-P", "--version", tag))
        said = answers(lab.servers[0].ip)
        if said != "hello from demo v1":  # the demo image says its build's version
            raise RuntimeError(f"after deploying {tag}: {said!r}")
    print(f"{backend}: deploys {[round(t, 2) for t in times]}", flush=True)
    return {
        "setup_s": round(setup_s, 3),
        "deploy": summary(times),
        "deploy_s": [round(t, 3) for t in times],
        "load_avg_1m_before": load,
    }


def main() -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        print("swarm update benchmark skipped: needs root on Linux")
        return
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=3, engine="docker"))
    try:
        ssh_root = Path(tempfile.mkdtemp(prefix="dockyard-bench-swarm-ssh-"))
        write_app(ssh_root, lab, swarm=False)
        ssh = phase(lab, ssh_root, "ssh")
        dockyard(ssh_root, "remove", "-y")
        swarm_root = Path(tempfile.mkdtemp(prefix="dockyard-bench-swarm-"))
        write_app(swarm_root, lab, swarm=True)
        swarm = phase(lab, swarm_root, "swarm")
        ratio = round(swarm["deploy"]["median_s"] / ssh["deploy"]["median_s"], 3)
        results = {
            "ssh": ssh,
            "swarm": swarm,
            "ratio swarm/ssh (deploy medians)": ratio,
            "servers": 3,
            "swarm settings": {"parallelism": 1, "monitor_s": 5, "order": "start-first"},
            "machine": {"cpus": os.cpu_count(), "load_avg_1m_end": os.getloadavg()[0]},
        }
        path = write_result("swarm_update", results)
        print(json.dumps(results, indent=2))
        print(
            f"deploy of a new version to 3 servers: ssh {ssh['deploy']['median_s']}s, "
            f"swarm {swarm['deploy']['median_s']}s, ratio {ratio} -> {path}"
        )
    finally:
        labs.down(NAME)


if __name__ == "__main__":
    main()
