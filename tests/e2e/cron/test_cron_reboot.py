"""The job scheduler after its server reboots: the lab host is powered off for 30 s
(`dockyard lab reboot --off-for 30`: every process of it killed at once, then started as `lab up`
starts it, with its cron daemon), the app answers through its proxy again (Docker's daemon
starts their containers, Podman's `@reboot` line from `setup` does), and the scheduler runs again
with no dockyard command: the host's cron started it from its crontab line. The ticks while it
was down are each recorded once, `missed`, or for the job with `catch_up` its newest one run,
`caught-up`; a run the power cut killed reads `lost`; every tick after the boot ran; each ok
run wrote its line once. `remove` takes the crontab lines away.

Every wait is a poll with a deadline (a loaded CI machine starts containers in seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard import lab as labs

from ..cli import dockyard, labelled_image
from ..deploy.harness import get
from .conftest import runs, ssh

pytestmark = [pytest.mark.e2e]

SERVICE = "cronboot"
EVERY = 10
LATE = 10  # commands/cron_scripts.py: a tick older than this when looked at is missed
OFF_FOR = 30  # two ticks fall after the cut and LATE before the power-on: one caught up
DATA = f"/var/lib/dockyard/{SERVICE}"  # on the lab host (its own directory), /data in every run
MARK = f"# dockyard-cron:{SERVICE}:"


def write_app(root: Path, lab: labs.LabInfo) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(f"""service: {SERVICE}
image: {SERVICE}
servers:
  - {lab.servers[0].ip}
proxy:
  host: boot.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
volumes:
  - {DATA}:/data
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 30
drain_timeout: 5
x-dockyard:
  runtime: {lab.engine}
  proxy:
    image: {lab.images["proxy"]}
  cron:
    tick:
      schedule: "@every {EVERY}s"
      command: sh -c 'echo "$KAMAL_VERSION" >> /data/tick'
      concurrency: allow
    caught:
      schedule: "@every {EVERY}s"
      command: sh -c 'echo "$KAMAL_VERSION" >> /data/caught'
      concurrency: allow
      catch_up: 2m
""")
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    return root


def wait_for(
    what: str, check: Callable[[], Any], within: float, every: float = 1
) -> Any:  # the first truthy value check returns
    deadline = time.time() + within
    while not (found := check()):
        assert time.time() < deadline, f"{what}: not within {within} s"
        time.sleep(every)
    return found


def settled(app: Path, job: str, after: float) -> list[dict[str, Any]]:
    """The job's records once one run after `after` ended ok and none is starting or running."""

    def done() -> list[dict[str, Any]] | None:
        found = runs(app, job)
        going = [r for r in found if r["state"] in ("starting", "running")]
        ran = [r for r in found if r["state"] == "ok" and int(r["at"]) > after]
        return found if ran and not going else None

    found: list[dict[str, Any]] = wait_for(f"{job}: an ok run after {after}", done, 150)
    return found


def ended(app: Path, job: str) -> bool:
    """No record of the job is starting or running."""
    return not [r for r in runs(app, job) if r["state"] in ("starting", "running")]


def answers(lab: labs.LabInfo) -> bool:
    try:
        return get(lab.servers[0].ip, "boot.test", timeout=2)[0] == 200
    except OSError:
        return False


def booted_at(lab: labs.LabInfo) -> float:
    """When the host's init started (its power-on), read on the host: its pid 1 started this
    many clock ticks after the machine's boot (one kernel for every host), and the machine has
    been up /proc/uptime seconds at `date`. `lab reboot` returns only once sshd and the engine
    answer, seconds later: the host's cron started the scheduler before that, and it ran the
    ticks not yet LATE by then."""
    pid1, uptime, now = ssh(lab, "cat /proc/1/stat /proc/uptime; date +%s.%N").splitlines()
    ticks = int(pid1.rsplit(")", 1)[1].split()[19])  # field 22: starttime
    return float(now) - float(uptime.split()[0]) + ticks / os.sysconf("SC_CLK_TCK")


def check_ticks(
    lab: labs.LabInfo, app: Path, job: str, records: list[dict[str, Any]], off_at: float,
    boot_at: float, on_at: float,
) -> None:  # fmt: skip
    """Each tick once; before the cut ok (or lost), after the boot ok, and in between missed or,
    for the job with catch_up, its newest one caught up; each ok run's line written once.

    The cut came after `off_at` (when `lab reboot` was started) and at the latest OFF_FOR before
    the host's power-on, `boot_at`: a tick between the two may have run. A tick after that and
    LATE before the power-on was late when the scheduler was back, whenever that was."""
    ats = [int(r["at"]) for r in records]
    assert len(ats) == len(set(ats)), f"{job}: a tick with two records"
    span = [at for at in ats if off_at - 2 * EVERY <= at]
    assert span == list(range(span[0], span[0] + EVERY * len(span), EVERY)), (
        f"{job}: a tick without a record: {span}"
    )
    cut_by = boot_at - OFF_FOR
    down = [r for r in records if cut_by < int(r["at"]) < boot_at - LATE]
    assert len(down) >= 2, f"{job}: not two ticks while the host was down: {down}"
    for r in records:
        at = int(r["at"])
        if at <= off_at:  # before the power cut: ran, or cut by it
            assert r["state"] in ("ok", "lost"), r
        elif at <= cut_by:  # about when it came: also one it had not looked at yet
            assert r["state"] in ("ok", "lost", "missed"), r
        elif at >= on_at:  # after the boot: every one ran
            assert r["state"] == "ok", r
    gap = [r for r in records if cut_by < int(r["at"]) < on_at]
    if job == "tick":  # no catch_up: those too old when the scheduler was back are missed
        assert {r["state"] for r in down} == {"missed"}, down
        assert all(r["state"] in ("missed", "ok") for r in gap), gap
    else:  # catch_up 2m: the newest missed tick ran once, caught up; the others are missed
        up = [r for r in gap if r.get("mode") == "caught-up"]
        assert len(up) == 1 and up[0]["state"] == "ok", gap
        missed = [r for r in gap if r["state"] == "missed"]
        assert missed and all(int(r["at"]) < int(up[0]["at"]) for r in missed), gap
        assert all(r["state"] in ("missed", "ok") for r in gap), gap
    found = runs(app, job)  # the job paused and its runs ended: every record is final
    ok = len([r for r in found if r["state"] == "ok"])
    lost = len([r for r in found if r["state"] == "lost"])
    written = len(ssh(lab, f"cat {DATA}/{job}").splitlines())
    # a run the power cut killed may have written its line before its end was recorded
    assert ok <= written <= ok + lost, f"{job}: {written} lines for {ok} ok runs"
    print(f"{job}: {len(down)} down, {len(gap)} in the gap, {ok} ok, {lost} lost, {written}")


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp("cron-reboot"), lab)


def test_after_a_reboot_the_scheduler_runs_again_and_records_the_ticks_it_was_down(
    lab: labs.LabInfo, app: Path
) -> None:
    labelled_image(lab, "demo:v1", f"{SERVICE}:v1", SERVICE)
    ssh(lab, f"mkdir -p {DATA}")
    done = dockyard(app, "setup", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    table = ssh(lab, "crontab -l").splitlines()
    lines = [line for line in table if line.endswith(MARK)]
    assert [line.split()[0] for line in lines] == ["@reboot", "*"], lines
    # Podman starts no container at boot by itself: setup set the line that does
    at_boot = [line for line in table if line.endswith("# dockyard-start-at-boot")]
    assert len(at_boot) == (lab.engine == "podman"), table
    assert get(lab.servers[0].ip, "boot.test")[0] == 200
    settled(app, "tick", time.time())  # it runs: a tick after the setup ran
    pid_before = ssh(lab, f"cat .dockyard/apps/{SERVICE}/cron/scheduler.pid").strip()

    # off a few seconds after a tick, so that its runs have most likely ended
    time.sleep((EVERY + 4 - time.time() % EVERY) % EVERY)
    off_at = time.time()
    host = lab.servers[0].name
    rebooted = subprocess.run(
        [sys.executable, "-m", "dockyard", "lab", "reboot", "--name", lab.name, "--dir", lab.dir,
         "--off-for", str(OFF_FOR), host],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert rebooted.returncode == 0, rebooted.stdout + rebooted.stderr
    on_at = time.time()
    print(f"off {off_at:.1f}, on {on_at:.1f}: {rebooted.stderr}")
    boot_at = booted_at(lab)
    assert off_at + OFF_FOR <= boot_at <= on_at, (off_at, boot_at, on_at)

    # no dockyard command changes anything from here: only reads, until the scheduler ran ticks;
    # the proxy and the app run again (Docker's daemon, Podman's line), the app answers
    wait_for("the app through its proxy", lambda: answers(lab), 60, every=0.5)
    tick = settled(app, "tick", on_at)
    caught = settled(app, "caught", on_at)
    pid_after = ssh(lab, f"cat .dockyard/apps/{SERVICE}/cron/scheduler.pid").strip()
    assert pid_after and pid_after != pid_before
    log = ssh(lab, f"cat .dockyard/apps/{SERVICE}/cron/scheduler.log")
    assert "not enabled" not in log

    # the jobs paused, and their runs ended, before the lines are counted against the ok runs:
    # a tick between the two reads would write a line its record does not yet say ok
    for job in ("tick", "caught"):
        paused = dockyard(app, "cron", "pause", job)
        assert paused.returncode == 0, paused.stdout + paused.stderr
    for job in ("tick", "caught"):
        wait_for(f"{job}: no run going", lambda job=job: ended(app, job), 60)
    for job, records in (("tick", tick), ("caught", caught)):
        check_ticks(lab, app, job, records, off_at, boot_at, on_at)

    details = dockyard(app, "details")
    assert details.returncode == 0, details.stderr
    assert f"{lab.servers[0].ip}: cron  {SERVICE} job scheduler  running" in details.stdout


def test_remove_takes_the_crontab_lines_away(lab: labs.LabInfo, app: Path) -> None:
    done = dockyard(app, "remove", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    table = subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].ip, "crontab -l"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert MARK not in table.stdout
