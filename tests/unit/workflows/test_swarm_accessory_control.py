"""`accessory stop|start|restart|reboot|exec`, `accessory logs -f` and `app exec` in a new
container with x-dockyard/backend: swarm, as the CLI calls them, on the scripted transport
(workflows/swarm/accessory_control.py, workflows/swarm/execute.py): stop scales the accessory's
service to 0 and waits until its container left its host, start scales it to 1 and waits until
it runs, restart waits for a new task in a new container, reboot removes its stack and boots it
again; all under the deploy lock. `exec --reuse` runs in its task's container on its host, the
task's env exported; `app exec` runs a one-off container of the role's image on the first
manager, on the overlay network, with the role's env file (its own, removed when the command
ends), and with --detach leaves it running. The expected steps are in
expected/swarm-accessory-*.txt and expected/swarm-app-exec-*.txt; every step failing ends the
command with the lock released and one line naming the host and the cause."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from dockyard.commands.logs import LogQuery
from dockyard.errors import NotFoundError, StepFailed
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage
from dockyard.workflows.app import execute
from dockyard.workflows.detached import Detached
from dockyard.workflows.session import Request, Session, Silent
from dockyard.workflows.swarm import accessories, accessory_control, deploy
from dockyard.workflows.swarm import execute as swarm_execute
from tests.unit.workflows.accessory_world import faults_of
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import transcript

EXPECTED = Path(__file__).parent / "expected"
MANAGER, HOST = "10.0.0.1", "10.0.0.2"
CONFIG = """
service: shop
image: shop
registry: {server: registry.lab:5000, username: u, password: [P]}
builder: {arch: amd64}
servers: [10.0.0.1, 10.0.0.2]
proxy: {host: shop.test}
env: {clear: {MODE: lab}, secret: [P]}
x-dockyard: {backend: swarm}
accessories:
  db:
    image: postgres:16
    host: 10.0.0.2
    env: {clear: {POSTGRES_USER: shop}, secret: [P]}
    directories: ["data:/var/lib/postgresql/data"]
"""
LOCK = ".dockyard/lock-shop"
SERVICE = "shop-db_db"
TASKS = "docker service ps --quiet"  # the running_tasks read
ON_HOST = "docker ps --quiet --filter label=com.docker.swarm.service.name=shop-db_db"
STATUS = "UpdateStatus}}' shop-db_db"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)
    monkeypatch.setattr(accessories, "POLL", 0.001)
    monkeypatch.setattr(accessory_control, "POLL", 0.001)


def session(fake: FakeTransport, root: Path, version: str | None = "v3") -> Session:
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(CONFIG)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / ".kamal" / "secrets").write_text("P=pw\n")
    request = Request(config_file=str(root / "config" / "deploy.yml"), version=version)
    loaded = Session.load(request, Silent())
    return replace(loaded, root=root, connect=lambda options: fake)


def swarm() -> FakeTransport:
    """Two managers; the accessory's service new (no update yet), its one task running."""
    fake = FakeTransport(
        {STATUS: Reply(stdout="null\n"),
         "namespace=shop-db --format": Reply(stdout=f"{SERVICE} 1/1\n"),
         "'{{.Image}}' shop-db_db": Reply(stdout="postgres:16\n"),
         "{{json .Config.Entrypoint}}": Reply(stdout='["docker-entrypoint.sh"]\n["postgres"]\n'),
         'echo "$HOME"': Reply(stdout="/home/deploy\n")},
        default_timeout=30,
    )  # fmt: skip
    for host in (MANAGER, HOST):
        state = {"LocalNodeState": "active", "NodeID": f"n-{host}", "NodeAddr": host,
                 "ControlAvailable": True, "Cluster": {"ID": "c1"},
                 "RemoteManagers": [{"NodeID": "m", "Addr": "10.0.0.1:2377"}]}  # fmt: skip
        fake.on(host, "docker info --format", Reply(stdout=json.dumps(state) + "\n"))
    return fake


def in_turn(*said: str) -> Callable[[str, str], Reply]:
    """Each read answers the next of `said`, then the last one again."""
    answers = iter(said)
    last = [said[-1]]

    def reply(host: str, command: str) -> Reply:
        last[0] = next(answers, last[0])
        return Reply(stdout=last[0])

    return reply


def stopping() -> FakeTransport:
    return swarm().on(HOST, ON_HOST, in_turn("c0ffee\n", ""))


def restarting() -> FakeTransport:
    tasks = in_turn(f"n-{HOST} 0ld running\n", f"n-{HOST} <no value> pending\n",
                    f"n-{HOST} n3w running\n")  # fmt: skip
    return swarm().on(MANAGER, TASKS, tasks)


def rebooting() -> FakeTransport:
    return swarm().on(HOST, "docker ps --all --quiet", in_turn("c0ffee\n", ""))


def verb(name: str) -> Callable[[Session], object]:
    if name == "reboot":
        return lambda s: manage.reboot(s, "db")
    return lambda s: manage.control(s, "db", name)


def runner(name: str, root: Path) -> Callable[[FakeTransport], object]:
    async def run(fake: FakeTransport) -> object:
        return await asyncio.to_thread(verb(name), session(fake, root))

    return run


MAKERS = {"stop": stopping, "start": swarm, "restart": restarting, "reboot": rebooting}
SAID = {
    "stop": "shop-db stopped (scaled to 0; its data stays on 10.0.0.2)",
    "start": "shop-db started on 10.0.0.2",
    "restart": "shop-db restarted on 10.0.0.2",
    "reboot": "shop-db rebooted (shop-db_db: running)",
}


@pytest.mark.parametrize("name", list(MAKERS))
async def test_each_runs_under_the_lock_exactly_these_steps(name: str, tmp_path: Path) -> None:
    fake = MAKERS[name]()
    assert await runner(name, tmp_path)(fake) == {HOST: SAID[name]}
    assert transcript(fake) == (EXPECTED / f"swarm-accessory-{name}.txt").read_text()
    ran = fake.commands_on(MANAGER)
    assert f'mkdir "$HOME/{LOCK}"' in ran[0] and f'rm -r "$HOME/{LOCK}"' in ran[-1]


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    text = failure.call.text
    if error is None and failure.fault == "exit" and f'mkdir "$HOME/{LOCK}"' in text:
        return ""  # the lock's mkdir is tried once more, and takes it
    if failure.fault == "exit" and f'mkdir "$HOME/{LOCK}"' in text and "is held" in str(error):
        return ""
    if error is None and failure.fault == "exit" and STATUS in text:
        first = next(i for i, c in enumerate(fake.calls) if STATUS in c.text)
        if first >= failure.index:
            return ""  # the read before: a service that says nothing had no update yet
    ran = [c.text for i, c in enumerate(fake.calls) if c.host == MANAGER and i != failure.index]
    taken = any(f'mkdir "$HOME/{LOCK}"' in t for t in ran)
    released = any(f'rm -r "$HOME/{LOCK}"' in t for t in ran)
    if taken and not released and f'rm -r "$HOME/{LOCK}"' not in text:
        return "the lock was taken and not released"
    return one_line_naming_host_and_cause(failure, error)


@pytest.mark.parametrize("name", list(MAKERS))
async def test_every_step_failing_releases_the_lock_and_names_host_and_cause(
    name: str, tmp_path: Path
) -> None:
    run = runner(name, tmp_path)
    steps = await happy_path(MAKERS[name], run)
    assert await each_step_failing(MAKERS[name], run, check, steps, faults_of) == []


async def test_a_container_that_does_not_stop_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accessory_control, "STOP_SECONDS", 0.01)
    fake = swarm().on(HOST, ON_HOST, Reply(stdout="c0ffee\n"))
    with pytest.raises(Exception, match=r"^10.0.0.2: the container of shop-db_db still ran 0.01s"):
        await runner("stop", tmp_path)(fake)
    assert f'rm -r "$HOME/{LOCK}"' in fake.commands_on(MANAGER)[-1]


# --- exec and logs -f ----------------------------------------------------------------------------


def with_task() -> FakeTransport:
    return swarm().on(HOST, ON_HOST, Reply(stdout="c0ffee\n"))


def exec_runner(root: Path, *, reuse: bool) -> Callable[[FakeTransport], object]:
    async def run(fake: FakeTransport) -> object:
        def call(s: Session) -> object:
            return manage.run_command(s, "db", ["psql -c 'select 1'"], reuse=reuse)

        return await asyncio.to_thread(call, session(fake, root))

    return run


async def test_exec_reuse_runs_in_the_tasks_container_with_its_env(tmp_path: Path) -> None:
    fake = with_task().on(HOST, "docker exec c0ffee", Reply(stdout=" 1\n"))
    assert await exec_runner(tmp_path, reuse=True)(fake) == {HOST: [" 1"]}
    assert fake.commands_on(HOST)[-1] == (
        "docker exec c0ffee /bin/sh -c 'set -a; . /run/secrets/env; set +a; exec \"$@\"' sh "
        "psql -c 'select 1'"
    )
    gone = swarm()
    with pytest.raises(NotFoundError, match=r"^10.0.0.2: shop-db_db has no running task here"):
        await exec_runner(tmp_path, reuse=True)(gone)


async def test_exec_in_a_new_container_joins_the_overlay_with_the_accessorys_env(
    tmp_path: Path,
) -> None:
    fake = swarm().on(HOST, "docker run", Reply(stdout=" 1\n"))
    assert await exec_runner(tmp_path, reuse=False)(fake) == {HOST: [" 1"]}
    assert fake.commands_on(HOST) == [
        "docker run --rm --network shop-swarm --env POSTGRES_USER=shop --env KAMAL_HOST=10.0.0.2 "
        '--env-file "$HOME/.kamal/apps/shop/env/accessories/db.env" '
        "--volume \"$HOME/shop-db/data:/var/lib/postgresql/data\" postgres:16 psql -c 'select 1'"
    ]


def exec_check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return one_line_naming_host_and_cause(failure, error)


@pytest.mark.parametrize("reuse", [True, False])
async def test_exec_with_every_step_failing_ends_with_one_line(reuse: bool, tmp_path: Path) -> None:
    make = with_task if reuse else swarm
    run = exec_runner(tmp_path, reuse=reuse)
    steps = await happy_path(make, run)
    assert await each_step_failing(make, run, exec_check, steps) == []


def test_interactive_exec_and_logs_follow_run_the_system_ssh(tmp_path: Path) -> None:
    argv = manage.interactive(session(with_task(), tmp_path), "db", ["psql"], reuse=True)
    assert argv[:2] == ["ssh", "-t"] and argv[-2] == HOST
    assert argv[-1] == (
        "docker exec --interactive --tty c0ffee "
        "/bin/sh -c 'set -a; . /run/secrets/env; set +a; exec \"$@\"' sh psql"
    )
    argv = manage.follow_logs(session(swarm(), tmp_path), "db", LogQuery.kamal(follow=True))
    assert argv[-2] == MANAGER
    assert "docker service logs --tail 10 --timestamps --follow" in argv[-1]
    assert "docker service inspect --format '{{.ID}}' shop-db_db" in argv[-1]


# --- app exec in a new container -----------------------------------------------------------------

WEB_IMAGE = "docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' shop_web"


@pytest.fixture(autouse=True)
def steady_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swarm_execute, "token", lambda: "t0ken")


def deployed() -> FakeTransport:
    return swarm().on(MANAGER, WEB_IMAGE, Reply(stdout="registry.lab:5000/shop:v2\n"))


def app_runner(root: Path) -> Callable[[FakeTransport], object]:
    async def run(fake: FakeTransport) -> object:
        def call(s: Session) -> object:
            return execute.run_everywhere(s, ["sh -c 'echo $MODE'"], ["A=1"])

        return await asyncio.to_thread(call, session(fake, root, version=None))

    return run


def test_app_exec_runs_a_new_container_of_the_roles_image_on_the_first_manager(
    tmp_path: Path,
) -> None:
    fake = deployed().on(MANAGER, "docker run", Reply(stdout="lab\n"))
    found = asyncio.run(app_runner(tmp_path)(fake))  # type: ignore[arg-type]
    assert {host: result.stdout for host, result in found.items()} == {MANAGER: "lab\n"}  # type: ignore[attr-defined]
    assert transcript(fake) == (EXPECTED / "swarm-app-exec-new.txt").read_text()
    written = fake.commands_on(MANAGER).index(
        next(c for c in fake.commands_on(MANAGER) if "env/exec/shop-web-exec-t0ken.env.tmp" in c)
    )
    assert fake.inputs[MANAGER][written] == "P=pw\n"  # the secret, 0600, never in the command
    given = deployed().on(MANAGER, "docker run", Reply(stdout="lab\n"))
    execute.run_everywhere(session(given, tmp_path, version="v1"), ["true"])
    assert "registry.lab:5000/shop:v1 true" in given.commands_on(MANAGER)[-1]  # --version's
    assert not any(WEB_IMAGE in c for c in given.commands_on(MANAGER))


def app_exec_check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    if error is None and failure.fault == "exit" and " docker run " in failure.call.text:
        return ""  # the user's command's own exit status: an answer, as over SSH
    return one_line_naming_host_and_cause(failure, error)


async def test_app_exec_with_every_step_failing_ends_with_one_line(tmp_path: Path) -> None:
    run = app_runner(tmp_path)
    steps = await happy_path(deployed, run)
    assert await each_step_failing(deployed, run, app_exec_check, steps) == []


def test_app_exec_interactive_runs_the_new_container_through_the_system_ssh(
    tmp_path: Path,
) -> None:
    fake = deployed()
    argv = execute.interactive(session(fake, tmp_path, version=None), ["bin/rails console"])
    assert argv[:2] == ["ssh", "-t"] and argv[-2] == MANAGER
    env_file = '"$HOME/.dockyard/apps/shop/env/exec/shop-web-exec-t0ken.env"'
    assert argv[-1] == (
        f"trap 'rm -f {env_file}' EXIT; "
        "docker run --name shop-web-exec-t0ken --network shop-swarm --rm --interactive --tty "
        f"--env KAMAL_VERSION=v2 --env MODE=lab --env-file {env_file} "
        "registry.lab:5000/shop:v2 bin/rails console"
    )
    assert "shop-web-exec-t0ken.env" in fake.commands_on(MANAGER)[-1]  # written before


# --- app exec --detach ---------------------------------------------------------------------------

CONTAINER_ID = "0123456789abcdef0123"


def detached() -> FakeTransport:
    return deployed().on(MANAGER, "docker run", Reply(stdout=f"{CONTAINER_ID}\n"))


def detach_runner(root: Path) -> Callable[[FakeTransport], object]:
    async def run(fake: FakeTransport) -> object:
        def call(s: Session) -> object:
            return execute.start_detached(s, ["bin/jobs drain"], ["A=1"])

        return await asyncio.to_thread(call, session(fake, root, version=None))

    return run


def test_app_exec_detach_leaves_a_new_container_running_and_removes_its_env_file(
    tmp_path: Path,
) -> None:
    fake = detached()
    started = asyncio.run(detach_runner(tmp_path)(fake))  # type: ignore[arg-type]
    assert started == [Detached(MANAGER, "shop-web-exec-t0ken", CONTAINER_ID, "docker")]
    assert transcript(fake) == (EXPECTED / "swarm-app-exec-detach.txt").read_text()
    written = next(i for i, c in enumerate(fake.commands_on(MANAGER)) if "umask 077" in c)
    assert fake.inputs[MANAGER][written] == "P=pw\n"


def test_app_exec_detach_that_does_not_start_says_the_manager_and_the_cause(
    tmp_path: Path,
) -> None:
    refused = deployed().on(MANAGER, "docker run", Reply(
        exit_status=125, stderr="docker: Error response from daemon: No such image: x.\n"
    ))  # fmt: skip
    with pytest.raises(StepFailed) as raised:
        asyncio.run(detach_runner(tmp_path)(refused))  # type: ignore[arg-type]
    assert str(raised.value) == (
        "10.0.0.1: starting shop-web-exec-t0ken failed: exited 125: docker: Error response "
        "from daemon: No such image: x.; no container was started"
    )


async def test_app_exec_detach_with_every_step_failing_ends_with_one_line(
    tmp_path: Path,
) -> None:
    run = detach_runner(tmp_path)
    steps = await happy_path(detached, run)
    assert await each_step_failing(detached, run, detach_check, steps) == []


def detach_check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return one_line_naming_host_and_cause(failure, error)
