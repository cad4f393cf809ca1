"""Scheduled jobs on the lab: a job every 10 s for 3 minutes while the app is redeployed every
20 s and rolled back once: every tick ran exactly once (its record and its side effect), each
run used the release live at its tick, none was killed; a failing job's record.

The assertions do not rest on how fast a container starts (a loaded CI machine may take seconds):
the tick job overlaps itself (`allow`), so a slow run is never a skipped tick; the job lock is
shown with a job that holds its run until the test lets it go."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard import lab as labs

from ..cli import dockyard, labelled_image
from .conftest import runs, ssh

pytestmark = pytest.mark.e2e

SERVICE = "cronapp"
DURATION = 180  # seconds of ticks, as issue 15 asks
EVERY = 10
DEPLOY_EVERY = 20
DATA = "/var/lib/dockyard/cronapp"  # on the lab host (its own directory), /data in every run
GOING = ("starting", "running")
HOLD_EVERY = 30  # the held job's interval: a manual run starts well before its next tick
SLOW_EVERY, SLOW_RUN = 20, 30  # jobs longer than their interval, one per concurrency
SLOW_JOBS = "".join(
    f"""    slow-{mode}:
      schedule: "@every {SLOW_EVERY}s"
      command: sh -c 'trap "exit 143" TERM; sleep {SLOW_RUN} & wait'
      concurrency: {mode}
"""
    for mode in ("forbid", "allow", "replace")
)


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
      command: sh -c 'sleep 2; echo "$KAMAL_VERSION $SECRET_TOKEN" >> /data/ticks'
      concurrency: allow
    hold:
      schedule: "@every {HOLD_EVERY}s"
      command: sh -c 'while [ -e /data/hold ]; do sleep 0.2; done'
    broken:
      schedule: "@every 30s"
      command: sh -c 'echo about to fail; exit 7'
{SLOW_JOBS}""")
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\nSECRET_TOKEN=t0k3n\n")
    return root


def deployed(app: Path, *args: str) -> tuple[float, float]:
    started = time.time()
    done = dockyard(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return started, time.time()


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
            time.sleep(EVERY + 1)  # a tick comes while the rollback's release is live
        else:
            version = f"v{n + 1}"
            releases.append((*deployed(app, "deploy", "-P", "--version", version), version))
        n += 1
    end = time.time()
    assert dockyard(app, "cron", "pause", "tick").returncode == 0  # no new run while counting
    records = [r for r in settled(app, "tick") if begin + EVERY <= int(r["at"]) <= end]
    ticks = [int(r["at"]) for r in records]
    first = ticks[0]
    assert ticks == list(range(first, first + EVERY * len(ticks), EVERY)), "a tick missing"
    assert len(ticks) >= (DURATION - EVERY) // EVERY - 1
    assert {r["state"] for r in records} == {"ok"}, "a run was killed, failed or skipped"
    for r in records:
        assert r["release"] in live_at(int(r["at"]), releases), r
    written = ssh(lab, f"cat {DATA}/ticks").splitlines()
    ran = [r["release"] for r in runs(app, "tick") if r["state"] == "ok"]
    assert len(written) == len(ran), "a run's side effect missing or twice"
    assert sorted(written) == sorted(f"{v} t0k3n" for v in ran)
    rolled_back = releases[4][1]
    assert any(r["release"] == "v3" and int(r["at"]) >= rolled_back for r in records), (
        "no tick after the rollback ran its release"
    )
    assert dockyard(app, "cron", "resume", "tick").returncode == 0


def test_a_job_longer_than_its_interval_under_each_concurrency(
    lab: labs.LabInfo, app: Path
) -> None:
    """The slow jobs ran beside the three minutes above: a run lasts 30 s, a tick comes every
    20 s. They are paused after (no load on the tests after this one)."""
    found = runs(app)
    ssh(
        lab, f"cd .dockyard/apps/{SERVICE}/cron/paused && touch slow-forbid slow-allow slow-replace"
    )

    def finished(job: str) -> list[dict[str, Any]]:
        return [r for r in found if r["job"] == job and r["state"] not in ("starting", "running")]

    forbid = finished("slow-forbid")
    ran = [r for r in forbid if r["state"] == "ok"]
    skipped = [r for r in forbid if r["state"] == "skipped"]
    assert {r["state"] for r in forbid} == {"ok", "skipped"} and len(ran) >= 3
    for before, after in itertools.pairwise(ran):
        assert after["started"] >= before["ended"], "two runs at once under forbid"
    going = [r for r in found if r["job"] == "slow-forbid" and r["state"] == "running"]
    for r in skipped:  # each skipped tick came while a run ran (or runs still)
        assert any(o["started"] <= r["at"] <= (o["ended"] or r["at"]) for o in ran + going), r
    allow = finished("slow-allow")
    assert {r["state"] for r in allow} == {"ok"} and len(allow) >= 6
    assert all(b["started"] < a["ended"] for a, b in itertools.pairwise(allow))
    replace = finished("slow-replace")
    replaced = [r for r in replace if r["state"] == "replaced"]
    assert {r["state"] for r in replace} == {"replaced"} and len(replaced) >= 6
    for before, after in itertools.pairwise(replace):  # stopped, then the next ran
        assert before["ended"] <= after["started"]
        assert before["ended"] - before["started"] < SLOW_RUN
        assert before["exit"] == 143


def test_a_failing_job_has_its_exit_code_and_log_tail_and_details_warns(
    lab: labs.LabInfo, app: Path
) -> None:
    failed = [r for r in runs(app, "broken") if r["state"] == "failed"]
    assert failed and {r["exit"] for r in failed} == {7}
    log = ssh(lab, f"cat .dockyard/apps/{SERVICE}/cron/runs/broken/{failed[-1]['tick']}.log")
    assert log.strip() == "about to fail"
    shown = dockyard(app, "cron", "logs", "broken", str(failed[0]["tick"]))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"broken@{failed[0]['tick']}:\nabout to fail\n"
    details = dockyard(app, "details")
    assert details.returncode == 0, details.stderr
    host = lab.servers[0].ip
    lines = [line for line in details.stdout.splitlines() if line.startswith(f"{host}: ")]
    assert f"{host}: cron  {SERVICE} job scheduler  running" in lines
    (warning,) = [line for line in lines if "WARNING" in line]  # the other jobs run well
    said = re.fullmatch(
        rf"{re.escape(host)}: WARNING: cron broken: (\d+) failed and no ok run yet; the newest "
        r"broken@(\w+) failed \(exit 7\): see `dockyard cron runs broken` and "
        r"`dockyard cron logs broken`",
        warning,
    )
    assert said, warning
    assert int(said[1]) >= len(failed) and said[2] >= failed[-1]["tick"]  # a run may end meanwhile


def test_pause_resume_and_a_run_now_under_the_jobs_lock(lab: labs.LabInfo, app: Path) -> None:
    assert dockyard(app, "cron", "pause", "tick").returncode == 0
    paused_at = time.time()
    time.sleep(2 * EVERY + 2)
    resuming = time.time()
    assert dockyard(app, "cron", "resume", "tick").returncode == 0
    # a tick is paused when its run starts, which a busy scheduler may do a few seconds late
    # (up to LATE): ticks of the last seconds before the resume may run; the others may not
    during = [r for r in runs(app, "tick") if paused_at < int(r["at"]) < resuming - 5]
    assert during and {r["state"] for r in during} == {"paused"}
    # `cron run` right after a tick of the held job, so it starts long before the next one:
    # with less than 15 s to the next tick, after that one (else the next, scheduled, run takes
    # the job's lock the touch below makes it hold, and the manual one is skipped: seen once)
    if next_tick(time.time(), HOLD_EVERY) - time.time() < 15:
        time.sleep(next_tick(time.time(), HOLD_EVERY) - time.time() + 1)
    last = next_tick(time.time(), HOLD_EVERY) - HOLD_EVERY
    (previous,) = [r for r in settled(app, "hold", at=last) if int(r["at"]) == last]
    assert previous["state"] == "ok", previous
    ssh(lab, f"touch {DATA}/hold")  # its runs now hold the job's lock until the file goes
    started = dockyard(app, "cron", "run", "hold")
    assert started.returncode == 0, started.stderr
    tick = started.stdout.split("@", 1)[1].split(":", 1)[0]

    def holding(found: list[dict[str, Any]]) -> bool:
        return any(r["tick"] == tick and r["state"] == "running" for r in found)

    (manual,) = [r for r in wait_for(app, "hold", holding) if r["tick"] == tick]
    assert int(manual["started"]) < last + HOLD_EVERY, "the manual run started after a tick"
    racing_at = last + HOLD_EVERY
    found = settled(app, "hold", at=racing_at, but=tick)
    (racing,) = [r for r in found if int(r["at"]) == racing_at]
    assert (racing["state"], racing["reason"]) == ("skipped", "the last run still runs"), racing
    ssh(lab, f"rm {DATA}/hold")
    (manual,) = [r for r in settled(app, "hold") if r["tick"] == tick]
    assert (manual["state"], manual["mode"], manual["exit"]) == ("ok", "manual", 0), manual


def test_the_engine_restarted_mid_tick_runs_no_tick_twice_and_misses_the_ticks_it_was_down(
    lab: labs.LabInfo, app: Path
) -> None:
    """Docker's daemon stopped 1.5 s into a tick's 2 s run, and started again after the next
    tick: that tick is missed (the engine did not answer), none has two records, and each run
    that ended ok wrote its line once. (Podman has no daemon: its containers do not stop with
    the lab's API service, so there is nothing to restart.)"""
    if lab.engine != "docker":
        pytest.skip("Podman runs no daemon whose restart stops its containers")
    pid = ssh(lab, "cat /run/docker.pid").strip()
    time.sleep((1.5 - time.time() % EVERY) % EVERY)
    stopping = time.time()
    ssh(lab, f"kill {pid}; while kill -0 {pid} 2> /dev/null; do sleep 0.2; done")
    stopped = time.time()
    sleep_until(next_tick(stopped) + 2)  # a tick falls while it is down
    ssh(lab, "setsid nohup dockerd --config-file /etc/docker/daemon.json >> /tmp/dockerd.log "
             "2>&1 < /dev/null & for i in $(seq 150); do docker version > /dev/null 2>&1 && "
             "exit 0; sleep 0.2; done; exit 1")  # fmt: skip
    back = time.time()
    found = settled(app, "tick", at=next_tick(back + 1))  # the next tick ran
    around = [r for r in found if stopping - EVERY < r["at"] <= next_tick(back + 1)]
    ticks = [r["at"] for r in around]
    assert ticks == list(range(ticks[0], ticks[0] + EVERY * len(ticks), EVERY)), "a tick missing"
    for r in around:
        if r["at"] < stopping:  # the run it stopped under: its end recorded, ok or not
            assert r["state"] in ("ok", "failed"), r
        elif stopped < r["at"] < back - 1:
            assert (r["state"], r["reason"]) == ("missed", "the engine did not answer "
                                                 "(stopped or restarting)"), r  # fmt: skip
        elif r["at"] > back + 1:
            assert r["state"] == "ok", r
    assert any(r["state"] == "missed" for r in around)
    written = len(ssh(lab, f"cat {DATA}/ticks").splitlines())
    found = runs(app, "tick")
    ok = len([r for r in found if r["state"] == "ok"])
    # a run the stop cut may have written its line: on a loaded machine, the run of the tick
    # before may still be going when the daemon stops
    cut = len([r for r in found if r["state"] in ("failed", "lost")])
    assert ok <= written <= ok + cut, "a run's side effect missing or twice"


def next_tick(after: float, every: int = EVERY) -> int:
    return (int(after) // every + 1) * every


def settled(app: Path, job: str, at: int | None = None, but: str = "") -> list[dict[str, Any]]:
    """The job's records once the tick `at` has one and no run is starting or running (but the
    run of tick `but`): a run takes as long as its container takes to start and stop, seconds on
    a loaded machine, and the scheduler may start a tick's run a little late."""

    def done(found: list[dict[str, Any]]) -> bool:
        going = [r for r in found if r["state"] in GOING and r["tick"] != but]
        return not going and (at is None or any(int(r["at"]) == at for r in found))

    return wait_for(app, job, done)


def wait_for(
    app: Path, job: str, done: Callable[[list[dict[str, Any]]], bool], within: float = 60
) -> list[dict[str, Any]]:
    deadline = time.time() + within
    while not done(found := runs(app, job)):
        assert time.time() < deadline, f"{job}: not there after {within} s: {found}"
        time.sleep(1)
    return found


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))
