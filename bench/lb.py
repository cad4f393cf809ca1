"""The load balancer edge's cost and its reaction to a lost web host (issue 14).

A 4-server docker lab `blb` (10.238.0.0/24): 3 web hosts running the demo app behind their
proxies, 1 edge (x-dockyard/load_balancer) in front of them, all on this machine's 2 cores.
Writes bench/results/lb.json. Needs root; run it in an e2e slot (/work/tools/e2e-slot).

- Latency: one keep-alive client sends GETs one after the other, in blocks of 200 that
  alternate between the edge and one web host's proxy directly (so the machine's background load
  hits both alike), 2000 each: p50 and p99 per path, the edge's added p50/p99 and the ratios.
- Throughput: CLIENTS keep-alive clients (threads) for SECONDS against each path in turn:
  answered requests per second and the ratio. The clients are Python on the same 2 cores, so
  this is a same-machine comparison, not the edge's capacity.
- Loss to removal: a keep-alive and a new-connection client through the edge while one web
  host's link is cut (silence, no reset) for CUT seconds. A request the edge sent to the cut
  host is slow (it waits for the link, or for a dial timeout and a retry elsewhere); every
  other one takes milliseconds: counted, with the slowest. The loss-to-removal time is read
  from the edge's own log: the first failed active health check of that host after the cut
  (one failure takes a host out), against the cut's wall-clock time (same machine clock).
- Pool changes: the same two clients through the edge while the config's web hosts lose the
  third one and get it back, POOL_CHANGES times, each applied with `dockyard lb boot` (a
  rewrite of the edge's pool hosts file, no config load: a removed host drained and idle
  first, an added one waited for until the edge's checks take it in): failed requests per
  pool change, and the config loads the edge logged meanwhile (0 expected), with the seconds
  each `lb boot` took.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import write_result

from dockyard import lab as labs
from dockyard.lab import spec as lab_names

NAME, SUBNET = "blb", "10.238.0.0/24"
HOST = "demo.test"
BLOCK, BLOCKS = 200, 10
CLIENTS, SECONDS = 4, 5.0
CUT, SLOW_S = 4.0, 0.3
POOL_CHANGES = 10


def write_app(root: Path, lab: labs.LabInfo, web_hosts: int = 3) -> None:
    web, edge = lab.servers[:web_hosts], lab.servers[3]
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    hosts = "\n".join(f"  - {h.ip}" for h in web)
    (root / "config" / "deploy.yml").write_text(
        f"service: demo\nimage: demo\nservers:\n{hosts}\n"
        f"proxy:\n  host: {HOST}\n  healthcheck: {{path: /up, interval: 1}}\n"
        f"registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}\n"
        f"ssh: {{config: {lab.ssh_config}}}\nbuilder: {{arch: amd64}}\nreadiness_delay: 1\n"
        f"x-dockyard:\n  proxy: {{image: {lab.images['proxy']}}}\n"
        f"  load_balancer: {{hosts: [{edge.ip}]}}\n"
    )


def dockyard(root: Path, *args: str) -> None:
    argv = [sys.executable, "-m", "dockyard", *args]
    subprocess.run(argv, cwd=root, check=True, capture_output=True, timeout=600)


def get(conn: http.client.HTTPConnection) -> float:
    """Seconds one GET took on this connection (its answer checked)."""
    start = time.perf_counter()
    conn.request("GET", "/", headers={"Host": HOST})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or b"hello from demo" not in body:
        raise RuntimeError(f"unexpected answer {response.status}: {body[:80]!r}")
    return time.perf_counter() - start


def latency(edge: str, direct: str) -> dict[str, Any]:
    times: dict[str, list[float]] = {"edge": [], "direct": []}
    conns = {"edge": http.client.HTTPConnection(edge, 80, timeout=10),
             "direct": http.client.HTTPConnection(direct, 80, timeout=10)}  # fmt: skip
    for path in conns:  # warm: the connection and the edge's pool to the web hosts
        for _ in range(50):
            get(conns[path])
    for block in range(BLOCKS * 2):
        path = "edge" if block % 2 == 0 else "direct"
        times[path] += [get(conns[path]) for _ in range(BLOCK)]
    figures: dict[str, Any] = {}
    for path, found in times.items():
        cuts = statistics.quantiles(found, n=100)
        figures[path] = {"p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3),
                         "requests": len(found)}  # fmt: skip
    for q in ("p50_ms", "p99_ms"):
        edge_q, direct_q = figures["edge"][q], figures["direct"][q]
        figures[f"added_{q}"] = round(edge_q - direct_q, 3)
        figures[f"{q}_ratio_edge_over_direct"] = round(edge_q / direct_q, 3)
    return figures


def throughput(ip: str) -> float:
    counts = [0] * CLIENTS
    end = time.monotonic() + SECONDS

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(ip, 80, timeout=10)
        while time.monotonic() < end:
            get(conn)
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(counts) / SECONDS, 1)


class Clients:
    """A keep-alive and a new-connection client through the edge, recording every request."""

    def __init__(self, edge: str) -> None:
        self.edge = edge
        self.records: list[tuple[float, float, bool]] = []  # (start, seconds, ok)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(k,)) for k in (True, False)]

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=20)

    def run(self, keep_alive: bool) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self.stop.is_set():
            conn = conn or http.client.HTTPConnection(self.edge, 80, timeout=15)
            start = time.monotonic()
            try:
                self.records.append((start, get(conn), True))
            except (OSError, http.client.HTTPException, RuntimeError):
                self.records.append((start, time.monotonic() - start, False))
                conn.close()
                conn = None
            if conn is not None and not keep_alive:
                conn.close()
                conn = None
            time.sleep(0.005)

    def failed(self) -> int:
        return sum(1 for _, _, ok in self.records if not ok)


def pool_changes(lab: labs.LabInfo, root: Path, edge: str, edge_name: str) -> dict[str, Any]:
    loads_before = config_loads(lab, edge_name)
    took = []
    with Clients(edge) as clients:
        time.sleep(1)
        for change in range(POOL_CHANGES):
            write_app(root, lab, web_hosts=2 if change % 2 == 0 else 3)
            started = time.monotonic()
            dockyard(root, "lb", "boot")
            took.append(time.monotonic() - started)
            time.sleep(1)
    return {
        "pool_changes": POOL_CHANGES,
        "requests": len(clients.records),
        "failed": clients.failed(),
        "failed_per_pool_change": round(clients.failed() / POOL_CHANGES, 2),
        "config_loads_meanwhile": config_loads(lab, edge_name) - loads_before,
        "lb_boot_s_median": round(statistics.median(took), 2),
    }


def config_loads(lab: labs.LabInfo, edge_name: str) -> int:
    """How many configs the edge's Caddy has loaded (its log's "load complete" lines)."""
    logged = subprocess.run(
        ["ssh", "-F", lab.ssh_config, edge_name, "docker logs dockyard-edge 2>&1"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return logged.count('"msg":"load complete"')


def first_failed_check(lab: labs.LabInfo, edge: str, lost_ip: str, since: float) -> float | None:
    """Wall-clock time of the edge's first failed active health check of the host after
    `since`, from its health checks' log (the host's pool slots by the edge's hosts file; None
    when none is logged)."""
    read = "cat .dockyard/edge/hosts; echo ---; cat .dockyard/edge/health.log*"
    logged = subprocess.run(
        ["ssh", "-F", lab.ssh_config, edge, read], capture_output=True, text=True, check=True
    ).stdout
    hosts, _, log = logged.partition("\n---\n")
    names = [w for line in hosts.splitlines() if line.split()[:1] == [lost_ip]
             for w in line.split()[1:]] + [lost_ip]  # fmt: skip
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        active = "health_checker.active" in str(entry.get("logger", ""))
        named = any(f'"{name}:' in line for name in names)
        if active and named and float(entry.get("ts", 0)) >= since:
            return float(entry["ts"])
    return None


def loss_to_removal(lab: labs.LabInfo, edge: labs.HostInfo, lost: labs.HostInfo) -> dict[str, Any]:
    with Clients(edge.ip) as clients:
        time.sleep(1)
        switch, port = lab_names.switch_netns(lab.name), lab_names.switch_port(lost.name)
        subprocess.run(["ip", "-n", switch, "link", "set", port, "down"], check=True)
        cut_at, cut_wall = time.monotonic(), time.time()
        try:
            time.sleep(CUT)
        finally:
            subprocess.run(["ip", "-n", switch, "link", "set", port, "up"], check=True)
        back_at = time.monotonic()
        time.sleep(2)
    records = clients.records
    after = [(s - cut_at, took) for s, took, _ in records if cut_at <= s <= back_at]
    slow = [(start, took) for start, took in after if took > SLOW_S]
    removed = first_failed_check(lab, edge.name, lost.ip, cut_wall)
    return {
        "cut_s": CUT,
        "loss_to_removal_s": round(removed - cut_wall, 3) if removed else None,
        "requests": len(records),
        "requests_during_the_cut": len(after),
        "failed": sum(1 for _, _, ok in records if not ok),
        "slow_requests_during_the_cut": len(slow),
        "slowest_request_s": round(max((took for _, took in after), default=0.0), 3),
        "last_slow_request_started_s_after_the_cut": round(max(s for s, _ in slow), 3)
        if slow
        else None,
        "health_check_interval_s": 0.5,
        "health_check_timeout_s": 1.0,
    }


def main() -> None:
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=4, engine="docker"))
    root = Path(tempfile.mkdtemp(prefix="dockyard-bench-lb-"))
    try:
        write_app(root, lab)
        dockyard(root, "deploy", "-P", "--version", "v1")
        web, edge = lab.servers[:3], lab.servers[3]
        time.sleep(2)  # the edge's checks pass for every web host
        results: dict[str, Any] = {"latency": latency(edge.ip, web[0].ip)}
        direct_rps, edge_rps = throughput(web[0].ip), throughput(edge.ip)
        results["throughput"] = {
            "clients": CLIENTS, "seconds": SECONDS, "direct_rps": direct_rps,
            "edge_rps": edge_rps, "ratio_edge_over_direct": round(edge_rps / direct_rps, 3),
        }  # fmt: skip
        results["loss"] = loss_to_removal(lab, edge, web[1])
        results["pool_changes"] = pool_changes(lab, root, edge.ip, edge.name)
        results["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
        print(results, flush=True)
        print(write_result("lb", results))
    finally:
        labs.down(NAME)


if __name__ == "__main__":
    main()
