"""`dockyard lab up` and `down` for 3 and 8 docker servers, and memory per server.

Up is timed until every host answers ssh (host key checked) and its engine (images not built);
memory is the RSS of every process in each server's pid namespace, summed, divided by N.
Reference, measured in the same run: the 3-server lab; the ratio up(8)/up(3) shows how bringing
up hosts scales (2.67 would be linear). Writes bench/results/lab.json. Needs root on Linux.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import summary, write_result

from dockyard import lab
from dockyard.lab.system import children

NAME, SUBNET = "blab", "10.212.0.0/24"
RUNS = 3
SIZES = (3, 8)


def pidns_rss_kib(init_pid: int) -> int:
    """Sum of VmRSS of every process in the pid namespace whose PID 1 is init_pid's child."""
    kids = children(init_pid)
    if not kids:
        return 0
    target = os.readlink(f"/proc/{kids[0]}/ns/pid")
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "ns" / "pid") != target:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def one_run(servers: int) -> dict[str, float]:
    spec = lab.LabSpec(name=NAME, subnet=SUBNET, servers=servers, engine="docker")
    start = time.perf_counter()
    info = lab.up(spec, build_images=False)
    up_s = time.perf_counter() - start
    time.sleep(1)  # let the engines settle before reading memory
    rss = [pidns_rss_kib(h.pids["init"]) for h in info.servers]
    start = time.perf_counter()
    lab.down(NAME)
    down_s = time.perf_counter() - start
    return {"up_s": up_s, "down_s": down_s, "rss_mib_per_server": sum(rss) / len(rss) / 1024}


def measure(servers: int) -> dict[str, Any]:
    runs = [one_run(servers) for _ in range(RUNS)]
    return {
        "up": summary([r["up_s"] for r in runs]),
        "down": summary([r["down_s"] for r in runs]),
        "rss_mib_per_server": round(statistics.median(r["rss_mib_per_server"] for r in runs), 1),
    }


def main() -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        print("lab benchmark skipped: needs root on Linux")
        return
    lab.down(NAME)
    try:
        results = {f"{n} servers": measure(n) for n in SIZES}
    finally:
        lab.down(NAME)
    three, eight = results["3 servers"], results["8 servers"]
    ratio = round(eight["up"]["median_s"] / three["up"]["median_s"], 3)
    results["ratio up(8)/up(3)"] = ratio
    results["linear would be"] = round(8 / 3, 3)
    path = write_result("lab", results)
    for n in SIZES:
        r = results[f"{n} servers"]
        print(f"lab {n} servers: up {r['up']['median_s']}s, down {r['down']['median_s']}s, "
              f"{r['rss_mib_per_server']} MiB per server")  # fmt: skip
    print(f"up(8)/up(3) ratio {ratio} (linear 2.667) -> {path}")


if __name__ == "__main__":
    main()
