"""An accessory on the swarm on the scripted transport (workflows/swarm/accessories.py): its
files, env file and image on its host, its stack applied on the manager and waited for, its
backup container on its host; removed: its stack, then (once its task left the host) the
backup container, image and data. The expected steps are in expected/swarm-accessory-*.txt;
every step failing ends with one line naming the host and the cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.config import parse_config
from dockyard.engine import DOCKER
from dockyard.errors import AccessoryError
from dockyard.redaction import Secret
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.server import Server
from dockyard.workflows.swarm import accessories, deploy
from dockyard.workflows.swarm.accessories import boot_on_swarm, remove_accessory, swarm_contexts
from tests.unit.workflows.accessory_world import faults_of
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import transcript

EXPECTED = Path(__file__).parent / "expected"
MANAGER, HOST = "10.0.0.1", "10.0.0.2"
CONFIG = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: [10.0.0.1]
x-dockyard:
  backend: swarm
  backups: {db: {kind: postgres}}
accessories:
  db:
    image: postgres:15
    host: 10.0.0.2
    env: {clear: {POSTGRES_USER: demo}, secret: [POSTGRES_PASSWORD]}
    directories: ["data:/var/lib/postgresql/data"]
"""
STATE = {"LocalNodeState": "active", "NodeID": "n0de2", "NodeAddr": HOST}


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)
    monkeypatch.setattr(accessories, "POLL", 0.001)


def context() -> AccessoryContext:
    config = parse_config([("config/deploy.yml", CONFIG)], version="v1")
    ctx = AccessoryContext(config, config.accessory("db"), {"POSTGRES_PASSWORD": Secret("pw")})
    return swarm_contexts([ctx])[0]


def make_fake() -> FakeTransport:
    return FakeTransport(
        {"docker info --format": Reply(stdout=json.dumps(STATE) + "\n"),
         'echo "$HOME"': Reply(stdout="/home/deploy\n"),
         "docker image inspect --format": Reply(stdout='["entry.sh"]\n["postgres"]\n'),
         "{{json .UpdateStatus}}": Reply(stdout="null\n"),
         "service ls": Reply(stdout="demo-db_db 1/1\n"),
         "service ps": Reply(stdout="postgres:15\n")},
        default_timeout=30,
    )  # fmt: skip


async def boot(fake: FakeTransport) -> str:
    manager, host = Server(fake, MANAGER, DOCKER), Server(fake, HOST, DOCKER)
    return await boot_on_swarm(manager, host, context())


async def test_an_accessory_boots_as_a_service_pinned_to_its_host_with_its_backups() -> None:
    fake = make_fake()
    assert await boot(fake) == "demo-db booted (demo-db_db: running)"
    assert transcript(fake) == (EXPECTED / "swarm-accessory-boot.txt").read_text()
    stack = next(u for u in fake.uploads[MANAGER] if u.path.endswith("stack.yml"))
    assert b"node.id==n0de2" in stack.data and b"/home/deploy/demo-db/data:" in stack.data
    env = next(u for u in fake.uploads[MANAGER] if u.path.endswith("db.env"))
    assert (env.mode, env.data) == (0o600, b"POSTGRES_USER=demo\nKAMAL_HOST=10.0.0.2\n"
                                           b"POSTGRES_PASSWORD=pw\n")  # fmt: skip


async def test_a_host_not_in_the_swarm_is_refused_before_anything_changes() -> None:
    fake = make_fake()
    fake.on(HOST, "docker info --format", Reply(stdout='{"LocalNodeState": "inactive"}\n'))
    with pytest.raises(AccessoryError, match=r"10.0.0.2: not in the swarm \(inactive\); run "):
        await boot(fake)
    assert len(fake.calls) == 1


def check_boot(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    first_read = "{{json .UpdateStatus}}" in failure.call.text and failure.index == first_status(
        fake
    )
    if error is None and first_read and failure.fault == "exit":
        return ""  # the read before: a service that says nothing has had no update yet
    return one_line_naming_host_and_cause(failure, error)


def first_status(fake: FakeTransport) -> int:
    return next(i for i, c in enumerate(fake.calls) if "{{json .UpdateStatus}}" in c.text)


async def test_booting_with_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_fake, boot)
    assert await each_step_failing(make_fake, boot, check_boot, steps, faults_of) == []


def make_removed() -> FakeTransport:
    listed = iter(["c0ffee\n", ""])
    return FakeTransport(
        {"docker ps --all --quiet": lambda host, command: Reply(stdout=next(listed, ""))},
        default_timeout=30,
    )


async def remove(fake: FakeTransport) -> str:
    manager, host = Server(fake, MANAGER, DOCKER), Server(fake, HOST, DOCKER)
    return await remove_accessory(manager, host, context())


async def test_removing_takes_the_stack_then_once_its_task_left_the_data() -> None:
    fake = make_removed()
    assert await remove(fake) == "demo-db removed with ~/demo-db"
    assert transcript(fake) == (EXPECTED / "swarm-accessory-remove.txt").read_text()


async def test_a_task_that_does_not_leave_keeps_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accessories, "GONE_SECONDS", 0.01)
    fake = FakeTransport({"docker ps --all --quiet": Reply(stdout="c0ffee\n")}, default_timeout=30)
    with pytest.raises(AccessoryError, match=r"still there 0.01s after `docker stack rm demo-db`"):
        await remove(fake)
    assert not any("rm -rf" in c and "demo-db " in c + " " for c in fake.commands_on(HOST))


def check_remove(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    data_removed = any(c.startswith("rm -rf") for c in fake.commands_on(HOST))
    if data_removed and failure.index < len(fake.calls) - 1:
        return "the data was deleted after a failed step"
    return one_line_naming_host_and_cause(failure, error)


async def test_removing_with_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_removed, remove)
    assert await each_step_failing(make_removed, remove, check_remove, steps) == []
