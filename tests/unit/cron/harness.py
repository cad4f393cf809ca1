"""The scheduler's real scripts, run here in a temporary cron directory with a fake engine
(fake_engine.sh): what they record and run, without a server."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from dockyard.commands.cron_scripts import RUN_SH, SCHEDULER_SH, job_file, job_settings
from dockyard.config.cron import parse_cron

FAKE = Path(__file__).with_name("fake_engine.sh")


class CronDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.fake = root / "fake"
        self.fake.mkdir()
        self.out = root / "side-effect"
        (root / "scheduler.sh").write_text(SCHEDULER_SH)
        (root / "run.sh").write_text(RUN_SH)
        for sub in ("jobs", "releases", "state"):
            (root / sub).mkdir()
        (root / "enabled").touch()  # as the install leaves it (its stop removes it)
        self.engine = root / "engine"
        self.engine.write_text(FAKE.read_text())
        self.engine.chmod(0o755)
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.release("v1")

    def job(self, name: str, schedule: str, command: str, **settings: object) -> None:
        timeout, catch_up = settings.get("timeout"), settings.get("catch_up")
        assert isinstance(timeout, int | None) and isinstance(catch_up, int | None)
        values = job_settings(
            parse_cron(schedule, sub_minute=True), role="web",
            zone=str(settings.get("zone", "UTC")),
            concurrency=str(settings.get("concurrency", "forbid")), timeout=timeout,
            catch_up=catch_up, run_args="--network kamal", command=command,
        )  # fmt: skip
        (self.root / "jobs" / f"{name}.job").write_text(job_file(values))

    def release(self, version: str) -> None:
        (self.root / "releases" / version).mkdir()
        env = f"OUT={self.out}\nV={version}\n"
        (self.root / "releases" / version / "web.env").write_text(env)
        (self.root / "release.tmp").write_text(f"{version} app:{version}\n")
        (self.root / "release.tmp").rename(self.root / "release.web")

    def start(self) -> None:
        env = {**os.environ, "FAKE_DIR": str(self.fake)}
        self.scheduler = subprocess.Popen(
            ["sh", str(self.root / "scheduler.sh"), str(self.engine), "shop"], env=env,
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def looking(self, seconds: float = 5) -> None:
        """Wait until the scheduler looks at ticks (past its start-up): it wrote state/last."""
        last = self.root / "state" / "last"
        before = last.stat().st_mtime_ns if last.exists() else None
        deadline = time.monotonic() + seconds
        while not last.exists() or last.stat().st_mtime_ns == before:
            assert time.monotonic() < deadline, "the scheduler did not start looking at ticks"
            time.sleep(0.05)

    def stop(self) -> None:
        """The scheduler only (runs it started go on), as `cron` stops it."""
        assert self.scheduler is not None
        self.scheduler.send_signal(signal.SIGTERM)
        self.scheduler.wait(5)

    def settle(self, seconds: float = 8) -> None:
        """Wait until no run is going (each record has a final state)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = [r.get("state") for r in self.records()]
            if all(s not in ("starting", "running") for s in states):
                return
            time.sleep(0.2)
        raise AssertionError(f"runs still going: {self.records()}")

    def records(self, job: str = "") -> list[dict[str, str]]:
        found = []
        for path in sorted((self.root / "runs").glob(f"{job or '*'}/*")):
            if "." not in path.name:
                lines = path.read_text().splitlines()
                found.append(dict(line.split("=", 1) for line in lines if "=" in line))
        return found

    def side_effects(self) -> list[str]:
        return self.out.read_text().splitlines() if self.out.exists() else []

    def wait_for_second(self) -> None:
        """Sleep to just after a whole second, so a run of N seconds sees N ticks."""
        time.sleep(1.05 - time.time() % 1)

    def close(self) -> None:
        """The scheduler's process group killed: it and every run it started (as a reboot
        ends them)."""
        if self.scheduler is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.scheduler.pid, signal.SIGKILL)
            self.scheduler.wait(5)
