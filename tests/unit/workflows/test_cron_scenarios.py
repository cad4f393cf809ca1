"""The job scheduler's workflow on the scripted transport: the happy path (stopped on every
other host of the app first, then installed and started on the jobs' host), then every step
made to fail in turn: the run ends within the bound with one error line naming the host (and
the step, unless the connection dropped: that error says so itself), and nothing is installed
after a stop that failed (no tick can have two schedulers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from dockyard.commands.cron import retire_scheduler
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.errors import DockyardError
from dockyard.facts.cron import RunRecord
from dockyard.plan.overview import ContainerDetail
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.app import overview
from dockyard.workflows.app.remove import remove_app_on_host
from dockyard.workflows.cron import scheduler
from dockyard.workflows.deploy.deploy import DeployOptions, DeployResult, deploy
from dockyard.workflows.server import Server
from dockyard.workflows.session import Request, Session
from tests.unit.workflows.deploy_rules import DeployRules, one_line_naming_host_and_cause
from tests.unit.workflows.faults import WITH_SILENT, Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import Fleet, fast_waits, plan_of

DEPLOY = {
    "service": "shop", "image": "team/shop", "builder": {"arch": "amd64"},
    "registry": {"server": "registry.lab:5000", "username": "u", "password": "p"},
    "servers": {"web": ["10.0.0.1", "10.0.0.2"]},
    "x-dockyard": {"cron": {"tick": {"schedule": "@every 10s", "command": "bin/tick",
                                     "host": "10.0.0.2"}}},
}  # fmt: skip
RECORDS = (
    "job=tick\ttick=20260301T100010\tat=1772359210\tmode=scheduled\tstate=ok\trelease=v2\t"
    "started=1772359210\tended=1772359213\texit=0\t\n"
    "job=tick\ttick=20260301T100020\tat=1772359220\tstate=running\trelease=v2\t\n"
)


def config() -> Config:
    return parse_config([("config/deploy.yml", yaml.safe_dump(DEPLOY))], version="v2")


def make_fake() -> FakeTransport:
    return FakeTransport(
        {
            "runs-still-going:": Reply(stdout="runs-still-going:\nruns/tick/20260301T100020\n"),
            "tr '\\n' '\\t'": Reply(stdout=RECORDS),
        },
        default_timeout=30,
    )


async def update(fake: FakeTransport) -> object:
    await scheduler.update(fake, config())
    return None


def test_update_stops_the_scheduler_elsewhere_before_starting_it_on_the_jobs_host() -> None:
    fake = make_fake()
    asyncio.run(update(fake))
    first = fake.commands_on("10.0.0.1")
    assert len(first) == 1 and "kill $(cat scheduler.pid)" in first[0]
    (install,) = fake.commands_on("10.0.0.2")
    assert "setsid nohup sh scheduler.sh docker shop" in install
    assert [c.host for c in fake.calls] == ["10.0.0.1", "10.0.0.2"]


def test_update_with_every_step_failing() -> None:
    steps = asyncio.run(happy_path(make_fake, update))
    assert len(steps) == 2

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if not isinstance(error, DockyardError):
            return f"ended with {error!r}, not one DockyardError"
        line = str(error)
        if "\n" in line or failure.call.host not in line:
            return f"the error is not one line naming the host: {line!r}"
        if failure.fault != "dropped" and "job scheduler" not in line:
            return f"the error does not name the step: {line!r}"
        if failure.call.host == "10.0.0.1" and fake.commands_on("10.0.0.2"):
            return "installed on the jobs' host although the old scheduler may still run"
        return ""

    assert asyncio.run(each_step_failing(make_fake, update, check, steps)) == []


def test_update_sets_the_crontab_lines_and_warns_where_they_could_not_be_set() -> None:
    fake = make_fake()
    assert asyncio.run(scheduler.update(fake, config())) == ()
    (install,) = fake.commands_on("10.0.0.2")
    assert "touch enabled && { if ! command -v crontab" in install
    assert "@reboot PATH=" in install and "# dockyard-cron:shop:" in install
    fake = make_fake()
    said = "no-restart-at-boot: the host has no crontab command\n"
    fake.on("10.0.0.2", "touch enabled", Reply(stdout=said))
    assert asyncio.run(scheduler.update(fake, config())) == (
        "10.0.0.2: the job scheduler will not start again by itself after a reboot (the host "
        "has no crontab command): from a reboot to the next deploy its ticks are missed "
        "(docs/cron.md)",
    )


def test_stopping_says_which_runs_were_still_going() -> None:
    fake = make_fake()
    server = Server(fake, "10.0.0.2", config().runtime)
    assert asyncio.run(scheduler.stop_on(server, config())) == ["tick@20260301T100020"]


def test_the_records_are_read_oldest_first() -> None:
    fake = make_fake()
    server = Server(fake, "10.0.0.2", config().runtime)
    records = asyncio.run(scheduler.runs(server, config()))
    assert records == [
        RunRecord("tick", "20260301T100010", 1772359210, "ok", "scheduled", "v2", 1772359210,
                  1772359213, 0),
        RunRecord("tick", "20260301T100020", 1772359220, "running", release="v2"),
    ]  # fmt: skip
    assert records[0].duration == 3 and records[1].name == "tick@20260301T100020"


def test_removing_the_app_stops_its_scheduler_and_runs_first_and_says_which_were_going() -> None:
    fake = make_fake()
    server = Server(fake, "10.0.0.2", config().runtime)
    removal = asyncio.run(remove_app_on_host(server, config(), [], None))
    assert removal.proxy == "no proxy; stopped its job runs still going: tick@20260301T100020"
    stop, remove = fake.commands_on("10.0.0.2")
    assert "docker stop --time 10 $ids" in stop and "rm -rf" in remove


# --- details: the scheduler's state and its warnings --------------------------------------------

LISTING = "/shop-web-v2\tteam/shop:v2\trunning\t0\t\tshop\tweb\t\t\t\n\0"
STATUS = "scheduler=stopped\n" + RECORDS.replace("state=ok", "state=failed").replace(
    "exit=0", "exit=7"
)


def details_servers() -> FakeTransport:
    return FakeTransport(
        {"docker inspect": Reply(stdout=LISTING), "scheduler=none": Reply(stdout=STATUS)},
        default_timeout=30,
    )


async def details(fake: FakeTransport) -> object:
    def connect(options: object) -> FakeTransport:
        return fake

    session = Session(config(), Request(), root=Path("."), connect=connect)  # type: ignore[arg-type]
    return await asyncio.to_thread(overview.details, session)


def test_details_shows_the_scheduler_on_the_jobs_host_with_its_warnings() -> None:
    fake = details_servers()
    found: dict[str, list[ContainerDetail]] = asyncio.run(details(fake))  # type: ignore[assignment]
    assert [r.kind for r in found["10.0.0.1"]] == ["app"]
    cron = found["10.0.0.2"][-1]
    assert (cron.kind, cron.name, cron.state) == ("cron", "shop job scheduler", "stopped")
    assert cron.warnings == (
        "WARNING: the job scheduler does not run on 10.0.0.2: its ticks are missed until "
        "`dockyard deploy` starts it",
        "WARNING: cron tick: 1 failed and no ok run yet; the newest tick@20260301T100010 failed "
        "(exit 7): see `dockyard cron runs tick` and `dockyard cron logs tick`",
    )
    assert len(fake.commands_on("10.0.0.1")) == 1  # the jobs' host only reads the records


def test_details_with_every_step_failing() -> None:
    steps = asyncio.run(happy_path(details_servers, details))
    assert len(steps) == 3

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        return one_line_naming_host_and_cause(failure, error)

    assert asyncio.run(each_step_failing(details_servers, details, check, steps)) == []


# --- a deploy with jobs: the scheduler's update under the deploy lock ----------------------------

CRON_APP = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: {web: [10.0.0.1, 10.0.0.2]}
proxy: {host: demo.test, app_port: 3000}
env: {secret: [SECRET_KEY]}
readiness_delay: 0
x-dockyard: {cron: {tick: {schedule: "@every 10s", command: bin/tick, host: 10.0.0.2}}}
"""
CRON_FLEET = Fleet(plan_of(CRON_APP))


async def deploy_with_jobs(fake: FakeTransport) -> object:
    app = parse_config([("config/deploy.yml", CRON_APP)], version="v2")
    return await deploy(fake, CRON_FLEET.plan, DeployOptions(),
                        before_release=lambda: scheduler.update(fake, app))  # fmt: skip


def test_a_deploy_with_jobs_updates_the_scheduler_before_it_releases_the_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast_waits(monkeypatch)
    fake = CRON_FLEET.make()
    asyncio.run(deploy_with_jobs(fake))
    texts = [(c.host, c.text) for c in fake.calls if c.kind == "run"]
    stop = next(i for i, (h, t) in enumerate(texts) if h == "10.0.0.1" and "scheduler.pid" in t)
    install = next(i for i, (h, t) in enumerate(texts) if "setsid nohup sh scheduler.sh" in t)
    release = next(i for i, (h, t) in enumerate(texts) if 'rm -r "$HOME/.dockyard/lock-' in t)
    switch = next(i for i, (h, t) in enumerate(texts) if h == "10.0.0.2" and "release.web" in t)
    assert switch < stop < install < release
    assert texts[install][0] == "10.0.0.2"
    assert "rm -f enabled" in texts[stop][1] and "crontab -l" in texts[stop][1]
    assert "retire" not in texts[switch][1] and "jobs/*.job state/last" not in texts[switch][1]


def test_a_deploy_whose_scheduler_cannot_restart_at_boot_says_so_in_its_warnings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast_waits(monkeypatch)
    fake = CRON_FLEET.make()
    said = "no-restart-at-boot: crontab -l: you are not allowed to use this program\n"
    fake.on("10.0.0.2", "touch enabled", Reply(stdout=said))
    result = asyncio.run(deploy_with_jobs(fake))
    assert isinstance(result, DeployResult)
    assert result.warnings == (
        "10.0.0.2: the job scheduler will not start again by itself after a reboot (crontab -l: "
        "you are not allowed to use this program): from a reboot to the next deploy its ticks "
        "are missed (docs/cron.md)",
    )


def test_a_deploy_with_jobs_with_every_step_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)
    steps = asyncio.run(happy_path(CRON_FLEET.make, deploy_with_jobs))
    rules = DeployRules(CRON_FLEET, steps, None)
    problems = asyncio.run(
        each_step_failing(CRON_FLEET.make, deploy_with_jobs, rules.check, steps, WITH_SILENT)
    )
    assert problems == [], f"{len(problems)} of {len(steps) * len(WITH_SILENT)} cases"


def test_a_moved_scheduler_starts_from_the_second_the_old_one_left() -> None:
    fake = make_fake()
    fake.on("10.0.0.1", "runs-still-going:", Reply(stdout="last=1772359210\nruns-still-going:\n"))
    asyncio.run(update(fake))
    (install,) = fake.commands_on("10.0.0.2")
    assert "-ge 1772359210 ] || echo 1772359210 > state/last; setsid nohup" in install


def test_a_deploy_without_jobs_retires_a_scheduler_earlier_jobs_left() -> None:
    plan = plan_of(CRON_APP.replace("x-dockyard", "x-unused"))
    steps = plan.cron_steps("10.0.0.2")
    assert [s.render() for s in steps] == [retire_scheduler("demo").render()]
