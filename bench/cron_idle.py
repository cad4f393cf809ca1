"""The CPU an idle job scheduler costs: this tree's scheduler.sh against the one of commit
5f75495 (before the idle loop was made cheap), in the same run.

Each runs for real, as tests/unit/cron runs it (dash, GNU date, the stand-in engine), in its own
temporary cron directory with the same four jobs, none of which has a tick during the run (a
daily one in UTC, two with fields in other zones, one of them six-field, and @every 24h). The two
run side by side, so load from elsewhere on the machine weighs on both. A scheduler's CPU is the
utime+stime of it and every process it started and reaped, from wait4() once it is stopped; the
cost of its start-up is taken out by a second, short run (the long run's CPU minus the short
run's, over the difference of their lengths). Checked after each run: no tick was dispatched, and
the scheduler looked at the seconds until its stop (state/last). Writes
bench/results/cron_idle.json; the figure is the share of one CPU, and the ratio ours/reference.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import write_result

from dockyard.commands import cron_scripts
from dockyard.config.cron import parse_cron

REFERENCE = "5f75495"
ROOT = Path(__file__).resolve().parent.parent
FAKE_ENGINE = ROOT / "tests" / "unit" / "cron" / "fake_engine.sh"
LONG_S = 32.0
SHORT_S = 2.0


def reference_module() -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{REFERENCE}:src/dockyard/commands/cron_scripts.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp(prefix="cron-ref-")) / "cron_scripts_reference.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("cron_scripts_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def far_jobs() -> dict[str, tuple[str, str]]:
    """Four jobs without a tick in the next hours: (schedule, zone) by name."""
    away = (datetime.now(UTC).hour + 12) % 24
    return {
        "nightly": (f"15 {away} * * *", "UTC"),
        "report": (f"0 30 {away} * * *", "Asia/Kolkata"),
        "weekdays": (f"0 {away} * * 1-5", "America/New_York"),
        "daily": ("@every 24h", "UTC"),
    }


def cron_dir(module: ModuleType, root: Path) -> Path:
    root.mkdir()
    (root / "scheduler.sh").write_text(module.SCHEDULER_SH)
    (root / "run.sh").write_text(module.RUN_SH)
    for sub in ("jobs", "releases/v1", "state", "fake"):
        (root / sub).mkdir(parents=True)
    (root / "releases" / "v1" / "web.env").write_text("V=v1\n")
    (root / "release.web").write_text("v1 app:v1\n")
    engine = root / "engine"
    engine.write_text(FAKE_ENGINE.read_text())
    engine.chmod(0o755)
    for name, (schedule, zone) in far_jobs().items():
        settings = module.job_settings(
            parse_cron(schedule, sub_minute=True), role="web", zone=zone,
            concurrency="forbid", timeout=None, catch_up=None, run_args="",
            command="true",
        )  # fmt: skip
        (root / "jobs" / f"{name}.job").write_text(module.job_file(settings))
    return root


def start(root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FAKE_DIR": str(root / "fake")}
    return subprocess.Popen(
        ["dash", str(root / "scheduler.sh"), str(root / "engine"), "shop"], env=env,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_side_by_side(roots: dict[str, Path], seconds: float) -> dict[str, float]:
    """CPU seconds of each scheduler (and its reaped processes) over a run of `seconds`."""
    for root in roots.values():
        (root / "state" / "last").unlink(missing_ok=True)
    procs = {name: start(root) for name, root in roots.items()}
    time.sleep(seconds)
    stopped_at = int(time.time())
    cpu = {}
    for name, proc in procs.items():
        proc.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu[name] = usage.ru_utime + usage.ru_stime
    for name, root in roots.items():
        looked_at = int((root / "state" / "last").read_text())
        assert looked_at >= stopped_at - 2, f"{name}: it looked at {looked_at}, not until the stop"
        records = list((root / "runs").glob("*/*"))
        assert not records, f"{name}: a tick was dispatched, so it was not idle: {records}"
    return cpu


def main() -> None:
    scripts = {"ours": cron_scripts, "reference": reference_module()}
    with tempfile.TemporaryDirectory(prefix="cron-idle-") as temp:
        roots = {name: cron_dir(module, Path(temp) / name) for name, module in scripts.items()}
        short = run_side_by_side(roots, SHORT_S)
        long = run_side_by_side(roots, LONG_S)
    span = LONG_S - SHORT_S
    figures: dict[str, Any] = {}
    for name in scripts:
        cpu_s = long[name] - short[name]
        figures[name] = {
            "cpu_s": round(cpu_s, 4),
            "over_s": span,
            "cpu_percent_of_one_core": round(100 * cpu_s / span, 3),
            "short_run_cpu_s": round(short[name], 4),
            "long_run_cpu_s": round(long[name], 4),
        }
    ratio = round(figures["ours"]["cpu_s"] / figures["reference"]["cpu_s"], 4)
    path = write_result(
        "cron_idle",
        {
            "ours": figures["ours"],
            "reference": {**figures["reference"], "commit": REFERENCE},
            "ratio_ours_over_reference": ratio,
            "jobs": {name: f"{s} ({z})" for name, (s, z) in far_jobs().items()},
            "target_percent": 1.0,
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "platform": platform.platform(),
            },
        },
    )
    print(f"idle scheduler: ours {figures['ours']['cpu_percent_of_one_core']}% of a CPU, "
          f"{REFERENCE} {figures['reference']['cpu_percent_of_one_core']}%: ratio {ratio} "
          f"(target < 1%) -> {path}")  # fmt: skip


if __name__ == "__main__":
    main()
