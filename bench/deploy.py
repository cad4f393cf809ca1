"""`dockyard deploy -P` against the real Kamal 2.11.0's `kamal deploy -P` on 1, 4 and 8 lab servers.

Targets (issue #4): remote operations per host per deploy at most a third of Kamal's, and a deploy
to 8 servers at most 1.3x the time of a deploy to 1. Writes bench/results/deploy.json. Needs root.

Method.
- Labs: two 8-server docker labs up at once, `bdep` (10.230.0.0/24) for dockyard and `bdep2`
  (10.231.0.0/24) for Kamal, torn down at the start (if left over) and at the end. Sizes 1, 4
  and 8 deploy to s1, s1-s4 and s1-s8. Why: each tool starts on servers the other never touched
  (no clean-up step that could bias either), the two tools' runs are interleaved (dockyard then
  Kamal, run after run), so the machine's background load hits both alike, and the number of
  engines idling on the 2 cores is the same for every size, so the 8/1 ratio measures the tool.
- Per size and tool: `setup -P --version v1` once (recorded, not in the medians), then 3 timed
  `deploy -P` of v2, v1, v2. Figures are medians of those 3. Wall time is fork to exit. From
  the second deploy on (and on s1 from size 4 on) the version deployed has a stopped container
  from before, which both tools rename aside (Kamal: 2 more commands, dockyard: 1): steady state.
- Configs: service demo, image demo, registry registry.lab:5000 with a username and a password
  from .kamal/secrets (the lab registry takes any), builder arch amd64, readiness_delay 1, ssh
  through the lab's ssh_config (its key, its known_hosts, StrictHostKeyChecking yes: net-ssh
  honours these, so Kamal checks host keys too). dockyard's web role is proxied (Caddy, health
  check GET /up every 1 s, then the switch); Kamal's has `proxy: false` (kamal-proxy's image
  cannot be had here), so it only runs the container, sleeps readiness_delay and stops the old.
  dockyard therefore does more (a proxy and a health-gated switch) in its figures.
- Remote operations per host, counted the same way for both tools from each host's logs: the
  bench raises the lab sshds to `LogLevel DEBUG1` and swaps internal-sftp (which could log only
  to syslog, absent here) for `sftp-server -e -l INFO` logging to <host dir>/sftp.log, then
  SIGHUPs each sshd (it re-execs and re-reads its config). Per run it counts what the logs
  gained: exec channels (`req exec`; Kamal's scp uploads are exec channels too), forwarded
  streams (`confirm direct-`: dockyard's Caddy admin socket and health checks), files written
  over SFTP (dockyard's uploads: `open ... WRITE`), SFTP sessions and TCP connections.
  operations = exec + streams + SFTP files. An SFTP upload is several requests (dockyard's:
  open, setstat, write, fsync, close, rename) and an exec channel about 3 network round trips,
  so this counts operations, not packets. Each tool's own count is kept beside it: dockyard's
  `N SSH round trips` line (-v), and Kamal's `Running ... on <host>` lines plus its `Uploading
  ... 100.0%` lines (-v). The latter is not exact with parallel hosts: SSHKit's -v output
  sometimes prints one host's `Running` line twice and drops another's, so sshd's count rules.
- healthy_to_switched_s: dockyard's `healthy to switched in X s` line (-v); Kamal has no switch.
  client_cpu_s: user+sys CPU of the tool's process tree (getrusage of children), since the
  client shares the 2 cores with the lab's engines; load averages are recorded per size.
- machine_cpu_s: CPU seconds the whole machine was busy during the deploy (/proc/stat: the
  tool, every lab sshd, engine and container, and whatever else runs). Divided by the cores it
  is the shortest wall time the same work can take here (cpu_floor_s); `scaling floor` compares
  the largest size's floor with the smallest size's wall time: when that floor is above the
  scaling target, the target cannot be met on this machine by any tool.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import summary, write_result

import dockyard
from dockyard import lab
from dockyard.lab import LabInfo
from dockyard.lab.system import children

LABS = {"dockyard": ("bdep", "10.230.0.0/24"), "kamal": ("bdep2", "10.231.0.0/24")}
SIZES = (1, 4, 8)
RUNS = 3
VERSIONS = ("v2", "v1", "v2")
TARGET_OPS_RATIO = 1 / 3
TARGET_SCALING = 1.3
BIN = Path(sys.executable).parent
SSHD_COUNTS = {  # what one sshd log line means -> its key
    "Connection from ": "connections",
    "req exec": "exec",
    "req subsystem": "sftp_sessions",
    "server_input_channel_open: confirm direct-": "streams",
}
SFTP_SERVER = "/usr/lib/openssh/sftp-server -e -l INFO"
SFTP_WRITE = re.compile(r'open ".*" flags [A-Z,]*WRITE')
DY_TRIPS = re.compile(
    r"\[([\d.]+)\] (\d+) SSH round trips \((\d+) commands, (\d+) uploads, (\d+) st"
)
DY_GAP = re.compile(r"\[([\d.]+)\] [\w-]+: healthy to switched in ([\d.]+)s")
KAMAL_RUN = re.compile(r"\] Running .*? on ([\d.]+)\n", re.S)
KAMAL_UPLOAD = re.compile(r"Uploading .* 100\.0%")


# --- the lab's sshd logs ---------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def listening_sshd(init_pid: int) -> int:
    """The host's sshd listener: an sshd whose parent is not an sshd."""
    for pid in descendants(init_pid):
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        parent = Path(f"/proc/{stat[1]}/comm").read_text().strip()
        if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd" and parent != "sshd":
            return pid
    raise RuntimeError(f"no sshd under pid {init_pid}")


def log_verbosely(info: LabInfo) -> None:
    """DEBUG1 sshd logs (channels) and an SFTP server logging its file operations, then wait."""
    for host in info.servers:
        hdir = Path(info.dir, host.name)
        text = (hdir / "sshd_config").read_text()
        # internal-sftp could only log to syslog; this logs to <host dir>/sftp.log
        text = text.replace("internal-sftp\n", f"{SFTP_SERVER} 2>>{hdir}/sftp.log\n")
        if SFTP_SERVER not in text:
            raise RuntimeError(f"{hdir}/sshd_config has no `Subsystem sftp internal-sftp` line")
        if "LogLevel" not in text:
            text += "LogLevel DEBUG1\n"
        (hdir / "sshd_config").write_text(text)
        os.kill(listening_sshd(host.pids["init"]), signal.SIGHUP)  # sshd re-execs, re-reads
    for host in info.servers:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((host.ip, 22), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def log_offsets(info: LabInfo, hosts: list[str]) -> dict[str, tuple[int, int]]:
    dirs = {ip: Path(info.dir, info.host(ip).name) for ip in hosts}
    return {ip: (_size(d / "sshd.log"), _size(d / "sftp.log")) for ip, d in dirs.items()}


def _tail(path: Path, offset: int) -> list[str]:
    if not path.exists():
        return []
    with open(path, errors="replace") as log:
        log.seek(offset)
        return log.read().splitlines()


def log_counts(info: LabInfo, offsets: dict[str, tuple[int, int]]) -> dict[str, dict[str, int]]:
    """Per host, what its sshd and SFTP logs gained since `offsets`."""
    counts = {}
    for ip, (sshd_at, sftp_at) in offsets.items():
        hdir = Path(info.dir, info.host(ip).name)
        found = Counter({key: 0 for key in SSHD_COUNTS.values()})
        for line in _tail(hdir / "sshd.log", sshd_at):
            found.update(key for text, key in SSHD_COUNTS.items() if text in line)
        found["sftp_files"] = sum(
            bool(SFTP_WRITE.match(x)) for x in _tail(hdir / "sftp.log", sftp_at)
        )
        found["operations"] = found["exec"] + found["streams"] + found["sftp_files"]
        counts[ip] = dict(found)
    return counts


# --- app directories -------------------------------------------------------------------------


def write_config(root: Path, info: LabInfo, hosts: list[str], tool: str) -> Path:
    """A Kamal-format app: dockyard's web role is proxied, Kamal's has `proxy: false`."""
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    web = "".join(f"      - {ip}\n" for ip in hosts)
    if tool == "dockyard":
        role = "proxy:\n  host: demo.test\n  app_port: 80\n  healthcheck:\n    path: /up\n"
        role += f"    interval: 1\nx-dockyard:\n  proxy:\n    image: {info.images['proxy']}\n"
    else:
        role = ""
        web += "    proxy: false\n"
    (root / "config" / "deploy.yml").write_text(
        f"service: demo\nimage: demo\nservers:\n  web:\n    hosts:\n{web}"
        f"registry:\n  server: {info.registry_host}\n  username: bench\n  password:\n"
        f"    - KAMAL_REGISTRY_PASSWORD\nbuilder:\n  arch: amd64\n"
        f"ssh:\n  user: root\n  keys: [{info.key}]\n  config: {info.ssh_config}\n"
        f"readiness_delay: 1\n{role}"
    )
    (root / ".kamal" / "secrets").write_text("KAMAL_REGISTRY_PASSWORD=not-a-real-password\n")
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "hosts").write_text("\n".join(hosts) + "\n")  # for the bench, not the tools
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@lab"]
    steps = (
        ["init", "-q"],
        ["config", "user.name", "bench"],
        ["config", "user.email", "bench@lab"],
    )
    for args in (*steps, ["add", "-A"], ["commit", "-qm", "bench app"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    return root


# --- one run of a tool -----------------------------------------------------------------------


def run_tool(tool: str, command: str, version: str, app: Path, info: LabInfo) -> dict[str, Any]:
    """`<tool> <command> -P --version V -v` in app, timed, with its per-host counts."""
    hosts = (app / "hosts").read_text().split()
    offsets = log_offsets(info, hosts)
    argv = [str(BIN / tool), command, "-P", "--version", version, "-v"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = machine_busy_s()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=app, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    busy = machine_busy_s() - busy_before
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n" + "\n".join(tail))
    (app / f"{tool}-{command}-{version}-{time.time_ns()}.log").write_text(done.stdout + done.stderr)
    sshd = log_counts(info, offsets)
    own = dockyard_counts(done.stdout, hosts) if tool == "dockyard" else kamal_counts(done.stdout)
    per_host = {ip: {"sshd": sshd[ip], tool: own.get(ip, {})} for ip in hosts}
    gaps = {ip: float(s) for ip, s in DY_GAP.findall(done.stdout)}
    return {"command": command, "version": version, "wall_s": round(wall, 4),
            "client_cpu_s": round(cpu, 3), "machine_cpu_s": round(busy, 3), "per_host": per_host,
            "healthy_to_switched_s": gaps}  # fmt: skip


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (every process: the tool, sshds, engines,
    containers), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def dockyard_counts(out: str, hosts: list[str]) -> dict[str, dict[str, int]]:
    """The -v `N SSH round trips (C commands, U uploads, S streams)` lines, summed per host."""
    counts: dict[str, Counter[str]] = {ip: Counter() for ip in hosts}
    for ip, trips, commands, uploads, streams in DY_TRIPS.findall(out):
        counts[ip].update(round_trips=int(trips), commands=int(commands),
                          uploads=int(uploads), streams=int(streams))  # fmt: skip
    return {ip: dict(c) for ip, c in counts.items()}


def kamal_counts(out: str) -> dict[str, dict[str, int]]:
    """Kamal -v: `Running ... on <host>` per host; its upload lines name no host (one per host)."""
    runs = Counter(KAMAL_RUN.findall(out))
    uploads = len(KAMAL_UPLOAD.findall(out)) / max(len(runs), 1)
    return {ip: {"commands": n, "uploads": uploads, "operations": n + uploads}
            for ip, n in runs.items()}  # fmt: skip


# --- figures ---------------------------------------------------------------------------------


def host_figure(runs: list[dict[str, Any]], pick: Any) -> dict[str, Any]:
    """Median over runs of pick(run's per-host figures) for the primary and the other hosts."""
    primary = [pick(next(iter(r["per_host"].values()))) for r in runs]
    others = [[pick(h) for h in list(r["per_host"].values())[1:]] for r in runs]
    figure: dict[str, Any] = {"primary": statistics.median(primary)}
    if others[0]:
        figure["others_median"] = statistics.median(statistics.median(o) for o in others)
        figure["others_max"] = max(max(o) for o in others)
    return figure


def size_figures(tool: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    figures = {
        "wall": summary([r["wall_s"] for r in runs]),
        "client_cpu_s_median": statistics.median(r["client_cpu_s"] for r in runs),
        # what the whole machine spent per deploy, and the wall time that takes at best on
        # its cores: a deploy to more servers than that allows is bound by this machine
        "machine_cpu_s_median": statistics.median(r["machine_cpu_s"] for r in runs),
        "cpu_floor_s": round(
            statistics.median(r["machine_cpu_s"] for r in runs) / (os.cpu_count() or 1), 3
        ),
        "operations_per_host": host_figure(runs, lambda h: h["sshd"]["operations"]),
        "sshd_per_host": {
            key: host_figure(runs, lambda h, k=key: h["sshd"][k])
            for key in ("connections", "exec", "streams", "sftp_sessions", "sftp_files")
        },
    }
    if tool == "dockyard":
        figures["round_trips_per_host"] = host_figure(runs, lambda h: h["dockyard"]["round_trips"])
        gaps = [g for r in runs for g in r["healthy_to_switched_s"].values()]
        primary = [next(iter(r["healthy_to_switched_s"].values())) for r in runs]
        figures["healthy_to_switched_s"] = {"primary_median": statistics.median(primary),
                                            "max": max(gaps)}  # fmt: skip
    else:
        figures["kamal_v_operations_per_host"] = host_figure(
            runs, lambda h: h["kamal"]["operations"]
        )
    return figures


def ratios(results: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in sizes:
        ours, theirs = results["dockyard"][f"{n} servers"], results["kamal"][f"{n} servers"]
        row = {"wall": ours["wall"]["median_s"] / theirs["wall"]["median_s"]}
        for side in ("primary", "others_median"):
            if side in ours["operations_per_host"]:
                row[f"operations_{side}"] = (
                    ours["operations_per_host"][side] / theirs["operations_per_host"][side]
                )
        out[f"{n} servers"] = {k: round(v, 3) for k, v in row.items()}
    for tool in ("dockyard", "kamal"):
        walls = [results[tool][f"{n} servers"]["wall"]["median_s"] for n in (sizes[-1], sizes[0])]
        out[f"{tool} scaling {sizes[-1]}/{sizes[0]} servers"] = round(walls[0] / walls[1], 3)
        floor = results[tool][f"{sizes[-1]} servers"]["cpu_floor_s"]
        out[f"{tool} scaling floor {sizes[-1]}/{sizes[0]} servers (cpu)"] = round(
            floor / walls[1], 3
        )
    return out


# --- the bench -------------------------------------------------------------------------------


def bring_up(servers: int) -> dict[str, LabInfo]:
    infos = {}
    for tool, (name, subnet) in LABS.items():
        spec = lab.LabSpec(name=name, subnet=subnet, servers=servers, engine="docker")
        infos[tool] = lab.up(spec)
        log_verbosely(infos[tool])
    return infos


def measure_size(n: int, runs: int, infos: dict[str, LabInfo], work: Path) -> dict[str, Any]:
    """Setup v1 with each tool, then `runs` deploys, the two tools taking turns."""
    apps = {
        tool: write_config(work / f"{tool}-{n}", info, [h.ip for h in info.servers[:n]], tool)
        for tool, info in infos.items()
    }
    record: dict[str, Any] = {tool: {"deploys": []} for tool in LABS}
    record["load_average_before"] = os.getloadavg()
    for tool in LABS:
        record[tool]["setup"] = run_tool(tool, "setup", "v1", apps[tool], infos[tool])
    for version in VERSIONS[:runs]:
        for tool in LABS:
            record[tool]["deploys"].append(
                run_tool(tool, "deploy", version, apps[tool], infos[tool])
            )
    return record


def print_table(results: dict[str, Any], sizes: list[int]) -> None:
    print("servers | wall s: dockyard / kamal = ratio | operations per host, primary (others): "
          "dockyard / kamal = ratio | dockyard round trips | healthy->switched s | "
          "client CPU s")  # fmt: skip
    for n in sizes:
        key = f"{n} servers"
        dy, ka, r = results["dockyard"][key], results["kamal"][key], results["ratios"][key]
        dops, kops = dy["operations_per_host"], ka["operations_per_host"]
        others = ""
        if "others_median" in dops:
            ratio = r["operations_others_median"]
            others = f" ({dops['others_median']} / {kops['others_median']} = {ratio})"
        trips = dy["round_trips_per_host"]
        print(
            f"{n:7} | {dy['wall']['median_s']:.2f} / {ka['wall']['median_s']:.2f} = {r['wall']}"
            f" | {dops['primary']} / {kops['primary']} = {r['operations_primary']}{others}"
            f" | {trips['primary']} ({trips.get('others_median', '-')})"
            f" | {dy['healthy_to_switched_s']['primary_median']:.3f}"
            f" | {dy['client_cpu_s_median']:.2f} / {ka['client_cpu_s_median']:.2f}"
            f" | machine CPU {dy['machine_cpu_s_median']:.1f} / {ka['machine_cpu_s_median']:.1f}"
        )
    for name, value in results["ratios"].items():
        if "floor" in name:
            print(f"{name}: {value} (the work's CPU time / cores, over the smallest wall)")
        elif "scaling" in name:
            target = f" (target <= {TARGET_SCALING})" if name.startswith("dockyard") else ""
            print(f"{name}: {value}{target}")
    print(f"targets: operations ratio <= {TARGET_OPS_RATIO:.3f}: {results['targets']}")


def targets(results: dict[str, Any], sizes: list[int]) -> dict[str, bool]:
    r = results["ratios"]
    ops = [v for n in sizes for k, v in r[f"{n} servers"].items() if k.startswith("operations")]
    scaling = r[f"dockyard scaling {sizes[-1]}/{sizes[0]} servers"]
    return {
        "operations_per_host_at_most_a_third_of_kamal": all(v <= TARGET_OPS_RATIO for v in ops),
        f"{sizes[-1]}_servers_at_most_{TARGET_SCALING}x_of_{sizes[0]}": scaling <= TARGET_SCALING,
    }


def bench(sizes: list[int], runs: int, keep: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {"dockyard": {}, "kamal": {}, "raw": {}}
    results["load_average_start"] = os.getloadavg()
    infos = bring_up(max(sizes))
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp:
        work = Path(keep or tmp)
        for n in sizes:
            record = measure_size(n, runs, infos, work)
            results["raw"][f"{n} servers"] = record
            for tool in LABS:
                results[tool][f"{n} servers"] = size_figures(tool, record[tool]["deploys"])
    results["load_average_end"] = os.getloadavg()
    results["ratios"] = ratios(results, sizes)
    results["targets"] = targets(results, sizes)
    results["method"] = (__doc__ or "").split("Method.", 1)[1].strip()
    results["cpus"] = os.cpu_count()
    results["measured"] = measured()
    return results


def measured() -> dict[str, str]:
    """Which dockyard (its module path, and the repo's HEAD) and which Kamal ran."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).parent)  # fmt: skip
    kamal = subprocess.run([str(BIN / "kamal"), "version"], capture_output=True, text=True)
    return {"dockyard_module": dockyard.__file__, "git_head": head.stdout.strip(),
            "kamal": kamal.stdout.strip()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--runs", type=int, default=RUNS, choices=range(1, len(VERSIONS) + 1))
    parser.add_argument("--keep", metavar="DIR", help="keep the app dirs and tool outputs here")
    args = parser.parse_args()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        print("deploy benchmark skipped: needs root on Linux")
        return
    sizes = sorted(int(n) for n in args.sizes.split(","))
    start = time.perf_counter()
    for name, _ in LABS.values():
        lab.down(name)
    try:
        results = bench(sizes, args.runs, args.keep)
    finally:
        for name, _ in LABS.values():
            lab.down(name)
    results["bench_total_s"] = round(time.perf_counter() - start, 1)
    path = write_result("deploy", results)
    print_table(results, sizes)
    print(f"load average {results['load_average_start']} -> {results['load_average_end']}, "
          f"bench took {results['bench_total_s']}s -> {path}")  # fmt: skip


if __name__ == "__main__":
    main()
