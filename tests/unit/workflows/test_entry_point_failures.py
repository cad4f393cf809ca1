"""The workflows' entry points, as the CLI calls them (a Session in, a typed result out), on
scripted servers with every remote step failing in turn: the command ends within the bound, and
its error is one line of dockyard's tree naming the host and the cause (a failed internal script
by its step's name, not its rendering). A rolling proxy reboot stops at the host that failed,
and leaves the next ones untouched.

The steps inside (a deploy's boot, an accessory's boot, a backup) have scenario tests of their
own; these cover what the entry points add: which hosts, in which order, what a failure stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.config import parse_config
from dockyard.errors import DockyardError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows import lock
from dockyard.workflows.app import manage, overview, prune
from dockyard.workflows.proxy import manage as proxy
from dockyard.workflows.session import Request, Session
from tests.unit.workflows.deploy_rules import (
    one_line_naming_host_and_cause,
    polled_after_start,
    shows_a_script,
)
from tests.unit.workflows.faults import Check, Failure, each_step_failing, happy_path, one_line
from tests.unit.workflows.fleet import DEFAULT_TIMEOUT, Fleet, fast_waits, plan_of, transcript
from tests.unit.workflows.test_deploy_scenarios import APP, EXPECTED

FLEET = Fleet(plan_of(APP))
HOSTS = ["10.0.0.1", "10.0.0.2"]

EntryPoint = Callable[[Session], object]
ENTRY_POINTS: dict[str, EntryPoint] = {
    "proxy boot": proxy.boot,
    "proxy reboot": proxy.reboot,
    "proxy reboot --rolling": lambda s: proxy.reboot(s, rolling=True),
    "proxy stop": lambda s: proxy.control(s, "stop"),
    "proxy details": proxy.details,
    "proxy remove --force": lambda s: proxy.remove(s, force=True),
    "app containers": manage.containers,
    "app version": manage.versions,
    "app stale_containers --stop": lambda s: manage.stale(s, stop=True),
    "app stop": lambda s: manage.start_or_stop(s, "stop"),
    "app images": manage.images,
    "app maintenance": lambda s: manage.maintenance(s, "back soon"),
    "details": overview.details,
    "prune all": lambda s: prune.prune(s, containers=True, images=True),
    "lock acquire": lambda s: lock.acquire_by_hand(s, "by hand"),
    "lock release": lock.release_by_hand,
}
# Reads fail when they find nothing: for them the servers list the app's v2 and its image.
READS = {"app containers", "app version", "app images", "details"}
READS_FIND = {
    # details' listing (inspect's fields per container, then the live slots)
    "docker inspect --format '{{.Name}}": Reply(
        stdout="/demo-web-v2\tdemo:v2\trunning\t0\t\tdemo\tweb\t\t\t\n\0"
    ),
    "docker ps": Reply(stdout="demo-web-v2\trunning\t2026-12-03 10:00:00\tabc123\n"),
    "docker images": Reply(stdout="registry.lab:5000/demo:v2 12MB\n"),
}
# Steps whose non-zero exit is an answer, not a failure: the command may succeed after it.
# A lock directory's mkdir that fails with no lock to be seen is run once more, to report its
# error as it is: here the second run takes the lock (every entry point that takes the lock).
LOCK_TAKEN_AGAIN = 'mkdir "$HOME/.dockyard/lock-'
EXIT_IS_AN_ANSWER: dict[str, str] = {
    # `test -d <lock> && cat <details>` exits 1 when no lock is held: nothing to release
    "lock release": 'test -d "$HOME/.dockyard/lock-',
}


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


def session_on(fake: FakeTransport, root: Path) -> Session:
    config = parse_config([("config/deploy.yml", APP)], version="v2")

    def connect(options: object) -> FakeTransport:
        return fake

    return Session(config, Request(), root=root, connect=connect)  # type: ignore[arg-type]


def runner(entry: EntryPoint, root: Path) -> Callable[[FakeTransport], Awaitable[object]]:
    """The entry point runs its own event loop (as under the CLI): here, in a thread."""

    async def run(fake: FakeTransport) -> object:
        return await asyncio.to_thread(entry, session_on(fake, root))

    return run


def maker(name: str) -> Callable[[], FakeTransport]:
    """Servers scripted for the entry point's happy path: the proxy's commands on servers that
    run the app and its proxy; the others on servers that answer every command with success
    and no output (nothing to list: a read that finds nothing fails, so theirs list the app),
    where `lock release` finds a lock to release."""
    if name.startswith("proxy"):
        return FLEET.make

    def make() -> FakeTransport:
        fake = FakeTransport(READS_FIND if name in READS else {}, default_timeout=DEFAULT_TIMEOUT)
        if name != "lock release":
            fake.on(HOSTS[0], 'test -d "$HOME/.dockyard/lock-', Reply(1))  # no lock is held
        return fake

    return make


def checker(name: str) -> Check:
    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        answers = [
            LOCK_TAKEN_AGAIN,
            *([EXIT_IS_AN_ANSWER[name]] if name in EXIT_IS_AN_ANSWER else []),
        ]
        answered = any(answer in failure.call.text for answer in answers)
        if error is None and failure.fault == "exit" and answered:
            return ""
        if error is None and polled_after_start(failure.call, fake):
            return ""
        return one_line_naming_host_and_cause(failure, error) or shows_a_script(one_line(error))

    return check


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
async def test_every_step_failing_ends_the_command_with_one_line(name: str, tmp_path: Path) -> None:
    make = maker(name)
    run = runner(ENTRY_POINTS[name], tmp_path)
    steps = await happy_path(make, run)
    assert steps, f"{name} ran nothing"
    assert await each_step_failing(make, run, checker(name), steps) == []


async def test_a_rolling_proxy_reboot_stops_at_the_host_that_failed(tmp_path: Path) -> None:
    run = runner(ENTRY_POINTS["proxy reboot --rolling"], tmp_path)
    steps = await happy_path(FLEET.make, run)
    locked = [
        s.text.endswith(('lock-demo"; false; }; }', 'rm -r "$HOME/.dockyard/lock-demo"'))
        for s in steps
    ]
    assert locked[0] and locked[-1], "the deploy lock is taken first and released last"
    rebooting = [s.host for s, lock in zip(steps, locked, strict=True) if not lock]
    assert rebooting == sorted(rebooting)  # one host, then the next
    for index, step in enumerate(steps):
        if step.host != HOSTS[0] or step.kind != "run" or locked[index]:
            continue
        fake = Failure(index, step, "exit").inject(FLEET.make())
        with pytest.raises(DockyardError):
            await run(fake)
        assert fake.commands_on(HOSTS[1]) == [], f"step {index} failed, yet {HOSTS[1]} rebooted"


@pytest.mark.parametrize("name", ["proxy reboot", "proxy reboot --rolling"])
async def test_a_proxy_reboot_runs_exactly_these_steps(name: str, tmp_path: Path) -> None:
    fake = FLEET.make()
    await runner(ENTRY_POINTS[name], tmp_path)(fake)
    assert all(model.running for model in fake.proxies.values())
    # per host, the same steps either way (the rolling order is the test above's)
    assert transcript(fake) == (EXPECTED / "proxy-reboot.txt").read_text()
