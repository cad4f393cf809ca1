"""Scheduled jobs on the lab: a job every 10 s for 3 minutes while the app is redeployed every
20 s and rolled back once: every tick ran exactly once (its record and its side effect), each
run used the release live at its tick, none was killed; a failing job's record."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import dockyard, labelled_image

pytestmark = pytest.mark.e2e

SERVICE = "cronapp"
DURATION = 180  # seconds of ticks, as issue 15 asks
EVERY = 10
DEPLOY_EVERY = 20
DATA = "/var/lib/dockyard/cronapp"  # on the lab host (its own directory), /data in every run


def write_app(root: Path, lab: labs.LabInfo) -> Path:
    host = lab.servers[0].ip
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(f"""service: {SERVICE}
image: {SERVICE}
servers:
  - {host}
proxy:
  host: cron.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
env:
  secret:
    - SECRET_TOKEN
volumes:
  - {DATA}:/data
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 15
drain_timeout: 5
x-dockyard:
  runtime: {lab.engine}
  proxy:
    image: {lab.images["proxy"]}
  cron:
    tick:
      schedule: "@every {EVERY}s"
      command: sh -c 'sleep 4; echo "$KAMAL_VERSION $SECRET_TOKEN" >> /data/ticks'
    broken:
      schedule: "@every 30s"
      command: sh -c 'echo about to fail; exit 7'
""")
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\nSECRET_TOKEN=t0k3n\n")
    return root


def ssh(lab: labs.LabInfo, command: str) -> str:
    done = subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].ip, command],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def deployed(app: Path, *args: str) -> tuple[float, float]:
    started = time.time()
    done = dockyard(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return started, time.time()


def runs(app: Path, job: str) -> list[dict[str, object]]:
    done = dockyard(app, "cron", "runs", job, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def live_at(tick: float, releases: list[tuple[float, float, str]]) -> set[str]:
    """The versions that may serve a tick: the last release finished before it, and the one
    under way at it (its pointer switches in its last trip)."""
    done = [v for _, end, v in releases if end <= tick]
    under_way = [v for start, end, v in releases if start <= tick < end]
    return set(done[-1:] + under_way)


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for n in range(1, 12):
        labelled_image(lab, "demo:v1", f"{SERVICE}:v{n}", SERVICE)
    ssh(lab, f"mkdir -p {DATA}")  # Podman mounts only a directory that exists
    return write_app(tmp_path_factory.mktemp(f"cron-{lab.engine}"), lab)


def test_every_tick_once_on_the_release_live_at_it_through_deploys_and_a_rollback(
    lab: labs.LabInfo, app: Path
) -> None:
    releases = [(*deployed(app, "setup", "-P", "--version", "v1"), "v1")]
    begin = time.time()
    n = 1
    while time.time() - begin < DURATION:
        time.sleep(max(0.0, begin + n * DEPLOY_EVERY - time.time()))
        if n == 4:
            releases.append((*deployed(app, "rollback", "v3"), "v3"))
        else:
            version = f"v{n + 1}"
            releases.append((*deployed(app, "deploy", "-P", "--version", version), version))
        n += 1
    end = time.time()
    assert dockyard(app, "cron", "pause", "tick").returncode == 0  # no new run while counting
    time.sleep(6)  # the last run started ends
    records = [r for r in runs(app, "tick") if begin + EVERY <= int(r["at"]) <= end]  # type: ignore[call-overload]
    ticks = [int(r["at"]) for r in records]  # type: ignore[call-overload]
    first = ticks[0]
    assert ticks == list(range(first, first + EVERY * len(ticks), EVERY)), "a tick missing"
    assert len(ticks) >= (DURATION - EVERY) // EVERY - 1
    assert {r["state"] for r in records} == {"ok"}, "a run was killed, failed or skipped"
    for r in records:
        assert r["release"] in live_at(int(r["at"]), releases), r  # type: ignore[call-overload]
    written = ssh(lab, f"cat {DATA}/ticks").splitlines()
    ran = [r["release"] for r in runs(app, "tick") if r["state"] == "ok"]
    assert len(written) == len(ran), "a run's side effect missing or twice"
    assert sorted(written) == sorted(f"{v} t0k3n" for v in ran)
    assert "v3" in ran[-len(ran) // 2 :], "the rollback's release ran"
    assert dockyard(app, "cron", "resume", "tick").returncode == 0


def test_a_failing_job_has_its_exit_code_and_log_tail(lab: labs.LabInfo, app: Path) -> None:
    failed = [r for r in runs(app, "broken") if r["state"] == "failed"]
    assert failed and {r["exit"] for r in failed} == {7}
    log = ssh(lab, f"cat .dockyard/apps/{SERVICE}/cron/runs/broken/{failed[-1]['tick']}.log")
    assert log.strip() == "about to fail"
    shown = dockyard(app, "cron", "logs", "broken", str(failed[0]["tick"]))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"broken@{failed[0]['tick']}:\nabout to fail\n"


def test_pause_resume_and_a_run_now_under_the_jobs_lock(lab: labs.LabInfo, app: Path) -> None:
    assert dockyard(app, "cron", "pause", "tick").returncode == 0
    paused_at = time.time()
    time.sleep(2 * EVERY + 2)
    resuming = time.time()
    assert dockyard(app, "cron", "resume", "tick").returncode == 0
    # a tick is paused when its run starts, which a busy scheduler may do a few seconds late
    # (up to LATE): ticks of the last seconds before the resume may run; the others may not
    during = [r for r in runs(app, "tick") if paused_at < int(r["at"]) < resuming - 5]  # type: ignore[call-overload]
    assert during and {r["state"] for r in during} == {"paused"}
    time.sleep((7 - time.time() % EVERY) % EVERY)  # after a tick's 4 s run, 3 s before the next
    started = dockyard(app, "cron", "run", "tick")
    assert started.returncode == 0, started.stderr
    tick = started.stdout.split("@", 1)[1].split(":", 1)[0]
    time.sleep(7)  # the job sleeps 4 s
    (manual,) = [r for r in runs(app, "tick") if r["tick"] == tick]
    assert (manual["state"], manual["mode"], manual["exit"]) == ("ok", "manual", 0)
    racing = [r for r in runs(app, "tick") if 0 < int(r["at"]) - int(manual["at"]) < EVERY]  # type: ignore[call-overload]
    assert [r["state"] for r in racing] == ["skipped"], "the tick during it: forbid"
