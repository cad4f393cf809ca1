"""Scheduled jobs on the swarm, on the scripted transport (workflows/swarm/cron.py): a deploy,
once the services run the new version and under its lock, switches the role's release pointer
on the jobs' host (the secrets on standard input, never on a command line), then updates the
scheduler there (stopped on the other node first); a rollback keeps the env its version was
deployed with; `remove` stops the scheduler and its runs on every node. Every step failing
ends with one line naming the host and the cause, and the lock released."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.cron import install_scheduler, stop_scheduler
from dockyard.config import Config, parse_config
from dockyard.plan.cron import cron_plan
from dockyard.redaction import Secret
from dockyard.ssh.fake import FakeTransport
from dockyard.workflows.swarm import deploy
from dockyard.workflows.swarm.release import Rolled, SwarmRun, release_on
from dockyard.workflows.swarm.tidy import remove_app_over
from tests.unit.workflows.faults import each_step_failing, happy_path
from tests.unit.workflows.test_swarm_deploy import CONFIG
from tests.unit.workflows.test_swarm_release import check, deliver_by_registry, hooks, make_fake

CRON_CONFIG = CONFIG.replace(
    "x-dockyard: {backend: swarm}",
    "env: {clear: {MODE: prod}, secret: [TOKEN]}\n"
    "x-dockyard:\n  backend: swarm\n"
    "  cron: {tick: {schedule: '@every 10s', command: bin/tick, host: 10.0.0.2}}",
)
LOCK_RELEASE = 'rm -r "$HOME/.dockyard/lock-shop"'


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)


def cron_config() -> Config:
    return parse_config([("config/deploy.yml", CRON_CONFIG)], version="v2")


def runner(tmp_path: Path, command: str = "deploy"):  # type: ignore[no-untyped-def]
    run = SwarmRun(cron_config(), {"TOKEN": Secret("t0k")}, command, hooks(tmp_path), "me")

    async def released(fake: FakeTransport) -> Rolled:
        return await release_on(fake, run, lambda hosts: deliver_by_registry(fake, hosts))

    return released


def index(fake: FakeTransport, host: str, text: str) -> int:
    return next(i for i, c in enumerate(fake.calls) if c.host == host and text in c.text)


async def test_a_deploy_switches_the_pointer_then_updates_the_scheduler(tmp_path: Path) -> None:
    fake = make_fake()
    rolled = await runner(tmp_path)(fake)
    assert rolled.services == {"shop_web": "updated"}
    plan = cron_plan(cron_config())
    assert plan is not None
    install = install_scheduler(plan.engine, "shop", plan.jobs).render()
    on_jobs_host = fake.commands_on("10.0.0.2")
    switch = next(c for c in on_jobs_host if "release.web" in c)
    assert on_jobs_host[-1] == install
    assert stop_scheduler("shop").render() in fake.commands_on("10.0.0.1")
    assert "releases/v2/web.env" in switch and "t0k" not in " ".join(c.text for c in fake.calls)
    assert fake.inputs["10.0.0.2"][on_jobs_host.index(switch)] == "TOKEN=t0k\n"
    applied = index(fake, "10.0.0.1", "docker stack deploy")
    switched = index(fake, "10.0.0.2", "release.web")
    stopped = index(fake, "10.0.0.1", "runs-still-going:")
    installed = index(fake, "10.0.0.2", "scheduler.sh.new")
    assert applied < switched < stopped < installed < index(fake, "10.0.0.1", LOCK_RELEASE)


async def test_a_rollback_keeps_the_env_its_version_was_deployed_with(tmp_path: Path) -> None:
    fake = make_fake()
    await runner(tmp_path, "rollback")(fake)
    switch = next(c for c in fake.commands_on("10.0.0.2") if "release.web" in c)
    assert "{ [ -f releases/v2/web.env ] ||" in switch


async def test_remove_stops_the_scheduler_and_its_runs_on_every_node() -> None:
    fake = make_fake()
    said = await remove_app_over(fake, cron_config())
    for host in ("10.0.0.1", "10.0.0.2"):
        ran = fake.commands_on(host)
        assert stop_scheduler("shop", cron_config().runtime).render() in ran
        assert "rm -rf .dockyard/apps/shop" in ran
        assert "job scheduler removed" in said[host]


async def test_every_step_failing_releases_the_lock_and_names_host_and_cause(
    tmp_path: Path,
) -> None:
    run = runner(tmp_path)
    steps = await happy_path(make_fake, run)
    assert len(steps) == 23
    assert await each_step_failing(make_fake, run, check(tmp_path), steps) == []
