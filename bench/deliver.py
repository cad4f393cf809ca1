"""Delivering an image of ~140 MB in 5 layers to 1 and 4 lab servers: registry push + pull against
dockyard's registry-free transfer, v1 (cold) then v2 (one small file changed).

Targets (issue #5): v2's registry-free delivery sends under 5% of the image's bytes and takes
under half the registry path's time. Writes bench/results/deliver.json. Needs root.

Method.
- Lab `bbd` (10.223.0.0/24): 4 docker servers, the builder host, the lab registry (plain HTTP
  on the lab's gateway). Torn down at the start (if left over) and at the end.
- The image, built on the builder from a context made here (deterministic pseudo-random content
  over a 16-symbol alphabet, so gzip makes it about half, as it does real images): busybox, then
  /opt/base 60 MB, /opt/libs 50 MB, /opt/assets 30 MB, /app (200 small files, 1 MB). A v2 changes
  one 30-byte file in /app. Every v2 is its own build (v2-<size>-<run>), so each registry push
  really uploads its new layer and each transfer really sends it.
- The figures are of the delivery step as `dockyard deploy` runs it, in one process, on SSH
  connections already open (a deploy has them open anyway), through dockyard's own workflows:
  registry path = push from the builder (login on stdin, `docker push`), then on every server at
  once login + `docker pull` + the service-label check; registry-free path = the transfer
  (builder inspect beside the servers' survey, export of the missing layers, uploads, load).
  Wall time from the first command to the last answer.
- Besides, one v2 per path and size goes through the CLI as a user runs it (`docker push` over
  ssh then `dockyard build pull`, or `dockyard build pull`): process start-up (about 0.5 s of
  Python imports, config, connections) included, so the ratio there is closer to 1.
- Steps (v2, each run): the transport is wrapped to time every command, upload and download;
  each is put in a step (builder: inspect, export; servers: survey, upload, load; registry path:
  push, pull) and each step's span (first start to last end, from the step's start, in seconds)
  and its count of SSH operations are recorded. Spans overlap where steps run at once (the
  registry-free path exports the top layer while the servers answer the survey).
- Bytes: the kernel's counters of the hosts' eth0 (inside each netns), before and after: bytes the
  servers received (sum), and bytes the builder sent. They include every protocol's overhead.
- Per size (1 server: s1; 4: s1-s4) and path: every bench image is removed from the servers
  first; v1 is delivered once (cold, recorded), then 3 v2s are delivered one after the other (each
  on top of v1 and the v2s before it, as in real deploys); figures are medians of the 3 v2s.
- The machine is shared with other work (its load average is recorded): times are noisy.
- Caveat: v1's layers reach the registry in the first size's run; at size 4 its push finds them
  there (the registry path's v1 is then pull-only). v2 figures are unaffected (new layer each).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import write_result

from dockyard import lab as labs
from dockyard.commands.base import Command, cmd
from dockyard.engine import DOCKER
from dockyard.errors import Result
from dockyard.lab.system import BUSYBOX
from dockyard.redaction import Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.options import SshOptions
from dockyard.workflows.delivery.deliver import BuilderHost, deliver_by_ssh, push_to_registry
from dockyard.workflows.delivery.pull import pull_on_host
from dockyard.workflows.fanout import on_hosts

NAME, SUBNET = "bbd", "10.223.0.0/24"
IMAGE = "bench"
LAYERS = {"base": 60, "libs": 50, "assets": 30}  # MB
RUNS = 3
DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
COPY base/ /opt/base/
COPY libs/ /opt/libs/
COPY assets/ /opt/assets/
COPY app/ /app/
LABEL service=bench
CMD ["/bin/busybox", "sleep", "3600"]
"""


def make_context(root: Path) -> None:
    sixteen = bytes(b"abcdefghijklmnop"[i % 16] for i in range(256))
    alphabet = bytes.maketrans(bytes(range(256)), sixteen)
    rng = random.Random(5)
    for name, megabytes in LAYERS.items():
        (root / name).mkdir(parents=True)
        for part in range(megabytes // 10):
            data = rng.randbytes(10 << 20).translate(alphabet)
            (root / name / f"part{part}.bin").write_bytes(data)
    (root / "app").mkdir()
    for i in range(200):
        (root / "app" / f"page{i}.txt").write_bytes(rng.randbytes(5000).translate(alphabet))
    shutil.copyfile(BUSYBOX, root / "busybox")
    (root / "busybox").chmod(0o755)
    (root / "Dockerfile").write_text(DOCKERFILE)


def write_config(root: Path, lab: labs.LabInfo, delivery: str) -> None:
    servers = "\n".join(f"  - {h.ip}" for h in lab.servers)
    registry = (
        f"image: {IMAGE}\nregistry:\n  server: {lab.registry_host}\n  username: lab\n"
        "  password: lab\n"
        if delivery == "registry"
        else f"image: {lab.registry_host}/{IMAGE}\n"
    )
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / f"{delivery}.yml").write_text(
        f"service: bench\n{registry}servers:\n{servers}\n"
        f"builder:\n  arch: amd64\n  context: .\n  remote: ssh://root@{lab.builder.ip}\n"
        f"ssh:\n  config: {lab.ssh_config}\nx-dockyard:\n  delivery: {delivery}\n"
    )


def dockyard(root: Path, config: str, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", *args, "-c", f"config/{config}.yml"],
        cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"dockyard {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


def on_host(lab: labs.LabInfo, host: str, command: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, check=True
    )
    return done.stdout


def counters(lab: labs.LabInfo) -> dict[str, int]:
    """eth0's rx bytes of each server and tx bytes of the builder, read inside their netns."""
    values = {}
    for host in lab.hosts:
        field = "tx_bytes" if host.role == "builder" else "rx_bytes"
        done = subprocess.run(
            ["ip", "netns", "exec", host.netns, "cat", f"/sys/class/net/eth0/statistics/{field}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        values[host.name] = int(done.stdout)
    return values


def deliver_cli(
    lab: labs.LabInfo, root: Path, path: str, version: str, hosts: list[str]
) -> dict[str, Any]:
    """Through the CLI, as a user runs it: `docker push` on the builder, then `dockyard build
    pull` (registry), or `dockyard build pull` alone (ssh); process start-ups included."""
    before = counters(lab)
    seconds = 0.0
    if path == "registry":
        start = time.perf_counter()
        on_host(lab, "builder", f"docker push -q {lab.registry_host}/{IMAGE}:{version}")
        seconds += time.perf_counter() - start
    seconds += dockyard(root, path, "build", "pull", "--version", version, "-h", ",".join(hosts))
    return _figures(lab, before, seconds, hosts)


def deliver(
    lab: labs.LabInfo, root: Path, path: str, version: str, hosts: list[str]
) -> dict[str, Any]:
    """The delivery step as `dockyard deploy` runs it, on connections already open: the push
    from the builder and the pulls (login, pull, label check) on every server at once, or the
    registry-free transfer."""
    before = counters(lab)
    image = f"{lab.registry_host}/{IMAGE}:{version}"
    seconds, steps = asyncio.run(_deliver_step(lab, path, image, hosts))
    return {**_figures(lab, before, seconds, hosts), "steps": steps}


class TimedTransport(AsyncsshTransport):
    """Records (host, what, start, end) of every command, upload and download."""

    def __init__(self, options: SshOptions) -> None:
        super().__init__(options)
        self.events: list[tuple[str, str, float, float]] = []

    async def run(self, host: str, cmd: Command, **kwargs: Any) -> Result:
        start = time.perf_counter()
        try:
            return await super().run(host, cmd, **kwargs)
        finally:
            self.events.append((host, f"run {cmd.render()}", start, time.perf_counter()))

    async def upload(self, host: str, data: bytes, path: str, *, mode: int = 0o600) -> None:
        start = time.perf_counter()
        await super().upload(host, data, path, mode=mode)
        self.events.append((host, f"upload {path}", start, time.perf_counter()))

    async def download(self, host: str, path: str) -> bytes:
        start = time.perf_counter()
        data = await super().download(host, path)
        self.events.append((host, f"download {path}", start, time.perf_counter()))
        return data


def step_of(builder: str, host: str, what: str) -> str:
    if host == builder:
        if " push " in what:
            return "push"
        return "inspect" if what.startswith("run docker image inspect") else "export"
    if "---staged" in what:
        return "survey"
    if what.startswith("upload"):
        return "upload"
    return "load" if " load -q" in what else "pull"


def steps(builder: str, events: list[tuple[str, str, float, float]], t0: float) -> dict[str, Any]:
    """Each step's span from t0 (first start, last end) and its count of SSH operations."""
    found: dict[str, dict[str, Any]] = {}
    for host, what, start, end in events:
        step = found.setdefault(step_of(builder, host, what), {"from": 1e9, "to": 0.0, "ops": 0})
        step["from"] = min(step["from"], round(start - t0, 3))
        step["to"] = max(step["to"], round(end - t0, 3))
        step["ops"] += 1
    return found


async def _deliver_step(
    lab: labs.LabInfo, path: str, image: str, hosts: list[str]
) -> tuple[float, dict[str, Any]]:
    options = SshOptions.from_kamal({"config": lab.ssh_config})
    async with TimedTransport(options) as transport:
        for host in [lab.builder.ip, *hosts]:
            await transport.run(host, cmd("true"))
        transport.events.clear()
        builder = BuilderHost(transport, lab.builder.ip, DOCKER)
        login = (lab.registry_host, "lab", Secret("lab"))
        start = time.perf_counter()
        if path == "registry":
            await push_to_registry(builder, [image], login, lambda h, m: None)
            await on_hosts(
                hosts, lambda h: pull_on_host(transport, h, DOCKER, image, "bench", login)
            )
        else:
            await deliver_by_ssh(transport, builder, hosts, DOCKER, [image], "bench", _quiet)
        seconds = time.perf_counter() - start
        return seconds, steps(lab.builder.ip, transport.events, start)


def _quiet(host: str, message: str) -> None:
    pass


def _figures(
    lab: labs.LabInfo, before: dict[str, int], seconds: float, hosts: list[str]
) -> dict[str, Any]:
    after = counters(lab)
    names = {h.ip: h.name for h in lab.servers}
    received = sum(after[names[h]] - before[names[h]] for h in hosts)
    return {
        "seconds": round(seconds, 3),
        "servers_received_bytes": received,
        "builder_sent_bytes": after["builder"] - before["builder"],
    }


def clean_servers(lab: labs.LabInfo) -> None:
    for server in lab.servers:
        on_host(
            lab, server.name,
            f"docker image ls -q {lab.registry_host}/{IMAGE} | sort -u | "
            "xargs -r docker image rm -f >/dev/null; rm -rf .dockyard/images",
        )  # fmt: skip


def build(root: Path, version: str, marker: str) -> None:
    (root / "app" / "version").write_text(f"{marker:>30}")
    dockyard(root, "ssh", "build", "push", "--version", version)  # builds; keeps it on the builder


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def median_steps(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per step, the medians of its start, end and length over the v2 runs."""
    names = dict.fromkeys(name for run in runs for name in run["steps"])
    medians = {}
    for name in names:
        spans = [run["steps"][name] for run in runs if name in run["steps"]]
        medians[name] = {
            "from_s": round(statistics.median(s["from"] for s in spans), 3),
            "to_s": round(statistics.median(s["to"] for s in spans), 3),
            "length_s": round(statistics.median(s["to"] - s["from"] for s in spans), 3),
            "ssh_operations": statistics.median(s["ops"] for s in spans),
        }
    return medians


def run_size(lab: labs.LabInfo, root: Path, size: int) -> dict[str, Any]:
    hosts = [h.ip for h in lab.servers[:size]]
    figures: dict[str, Any] = {}
    for path in ("registry", "ssh"):
        clean_servers(lab)
        v1 = deliver(lab, root, path, "v1", hosts)
        v2s = [deliver(lab, root, path, f"v2-{size}-{run}", hosts) for run in range(RUNS)]
        cli = deliver_cli(lab, root, path, f"v2-{size}-cli-{path}", hosts)
        figures[path] = {
            "v1": v1,
            "v2_through_the_cli": cli,
            "v2_runs": v2s,
            "v2_median_s": median(v2s, "seconds"),
            "v2_median_servers_received_bytes": median(v2s, "servers_received_bytes"),
            "v2_median_builder_sent_bytes": median(v2s, "builder_sent_bytes"),
            "v2_median_steps": median_steps(v2s),
        }
    reg, ssh = figures["registry"], figures["ssh"]
    figures["ratios"] = {
        "v2_time_ssh_over_registry": round(ssh["v2_median_s"] / reg["v2_median_s"], 3),
        "v2_bytes_ssh_over_registry": round(
            ssh["v2_median_servers_received_bytes"] / reg["v2_median_servers_received_bytes"], 3
        ),
        "v1_time_ssh_over_registry": round(ssh["v1"]["seconds"] / reg["v1"]["seconds"], 3),
        "v2_cli_time_ssh_over_registry": round(
            ssh["v2_through_the_cli"]["seconds"] / reg["v2_through_the_cli"]["seconds"], 3
        ),
    }
    return figures


def main() -> None:
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=4, engine="docker"))
    root = Path(tempfile.mkdtemp(prefix="dockyard-bench-deliver-"))
    try:
        make_context(root)
        for delivery in ("registry", "ssh"):
            write_config(root, lab, delivery)
        build(root, "v1", "v1")
        for size in (1, 4):
            for run in range(RUNS):
                build(root, f"v2-{size}-{run}", f"v2 {size} {run}")
            for path in ("registry", "ssh"):
                build(root, f"v2-{size}-cli-{path}", f"v2 {size} cli {path}")
        size_of = f"docker image inspect --format '{{{{.Size}}}}' {lab.registry_host}/{IMAGE}:v1"
        image_bytes = int(on_host(lab, "builder", size_of))
        results: dict[str, Any] = {"image_bytes": image_bytes, "layers": 5}
        for size in (1, 4):
            figures = run_size(lab, root, size)
            ssh = figures["ssh"]
            per_server = ssh["v2_median_servers_received_bytes"] / size
            figures["targets"] = {
                "v2_ssh_bytes_per_server_over_image": round(per_server / image_bytes, 4),
                "under_5_percent": per_server / image_bytes < 0.05,
                "under_half_registry_time": figures["ratios"]["v2_time_ssh_over_registry"] < 0.5,
            }
            load = ssh["v2_median_steps"].get("load", {})
            figures["bound"] = {
                "half_registry_v2_s": round(figures["registry"]["v2_median_s"] / 2, 3),
                "ssh_v2_load_step_s": load.get("length_s"),
                "ssh_v2_before_the_load_s": load.get("from_s"),
                "registry_v2_pull_step_s": figures["registry"]["v2_median_steps"]
                .get("pull", {})
                .get("length_s"),
            }
            results[f"{size} server(s)"] = figures
            print(size, figures["ratios"], figures["targets"], flush=True)
        results["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
        print(write_result("deliver", results))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        labs.down(NAME)


if __name__ == "__main__":
    main()
