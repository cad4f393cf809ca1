"""A deploy to the swarm on the scripted transport (workflows/swarm/deploy.py): the image pulled
by every node, the stack applied, each update watched to its end; an update Swarm rolled back
fails naming the service and Swarm's words (stack deploy exits 0 all the same); an update that
never ends is given up at the bound; and every step failing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from dockyard.config import parse_config
from dockyard.engine import DOCKER
from dockyard.errors import DockyardError
from dockyard.facts.swarm import ImageCommand
from dockyard.plan.swarm import SwarmStack, swarm_stack
from dockyard.ssh.fake import FakeTransport, Outcome, Reply
from dockyard.workflows.server import Server
from dockyard.workflows.swarm import deploy
from dockyard.workflows.swarm.deploy import deploy_stack, scale_service
from dockyard.workflows.swarm.release import kept_everywhere
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path

HOSTS = ("10.0.0.1", "10.0.0.2")
IMAGE = "registry.lab:5000/shop:v2"
CONFIG = """
service: shop
image: shop
registry: {server: registry.lab:5000, username: u, password: [P]}
builder: {arch: amd64}
servers: [10.0.0.1, 10.0.0.2]
proxy: {host: shop.test}
x-dockyard: {backend: swarm}
"""
STATUS = "--format '{{json .UpdateStatus}}'"
PULL = (
    f"docker image inspect --format '{{{{.Id}}}}' {IMAGE} >/dev/null 2>&1 || "
    f"docker pull --quiet {IMAGE}"
)


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)


def stack() -> SwarmStack:
    config = parse_config([("config/deploy.yml", CONFIG)], version="v2")
    return swarm_stack(config, {}, ImageCommand(cmd=("httpd",)))


def updates(*states: tuple[str, str]) -> Callable[[str, str], Outcome]:
    """The service's UpdateStatus, one state a read (the last one repeats)."""
    reads: list[int] = []

    def reply(host: str, command: str) -> Outcome:
        state, message = states[min(len(reads), len(states) - 1)]
        reads.append(1)
        started = "t0" if state == "before" else "t1"
        status = {"State": "completed" if state == "before" else state, "StartedAt": started,
                  "Message": message}  # fmt: skip
        return Reply(stdout=json.dumps(status) + "\n")

    return reply


def make_fake(*states: tuple[str, str]) -> FakeTransport:
    states = states or (("before", ""), ("updating", "update in progress"), ("completed", ""))
    return FakeTransport({STATUS: updates(*states)}, default_timeout=30)


async def run(fake: FakeTransport, seconds: float = 5) -> dict[str, str]:
    servers = [Server(fake, h, DOCKER) for h in HOSTS]
    await kept_everywhere(servers, IMAGE, pull=True)
    return await deploy_stack(servers[0], stack(), seconds=seconds)


async def test_every_node_pulls_then_the_stack_is_applied_and_its_update_watched() -> None:
    fake = make_fake()
    assert await run(fake) == {"shop_web": "updated"}
    assert fake.commands_on("10.0.0.2") == [PULL]
    secret = stack().spec.services[0].env_secret
    assert [c.text for c in fake.calls if c.host == "10.0.0.1"] == [
        PULL,
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
        "mkdir -p -m 700 .dockyard/swarm/shop",
        ".dockyard/swarm/shop/stack.yml",
        ".dockyard/swarm/shop/web.env",
        "cd .dockyard/swarm/shop && docker stack deploy --compose-file stack.yml "
        "--resolve-image never --prune shop",
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
    ]
    env = fake.uploads["10.0.0.1"][1]
    assert (env.mode, env.data) == (0o600, b"KAMAL_VERSION=v2\n")
    assert secret.startswith("shop_web_env_")


async def test_a_new_service_is_done_when_all_its_tasks_run() -> None:
    fake = FakeTransport(
        {STATUS: Reply(stdout="null\n"), "service ls": Reply(stdout="shop_web 2/2\n"),
         "service ps": Reply(stdout=f"{IMAGE}\n{IMAGE}\n")},
        default_timeout=30,
    )  # fmt: skip
    assert await run(fake) == {"shop_web": "running"}


async def test_the_update_before_is_not_taken_for_this_one() -> None:
    """Right after stack deploy, Swarm may still report the update before (completed): the
    tasks still run the old image, so the deploy waits for this update and its end."""
    fake = make_fake(("before", ""), ("before", ""), ("rollback_started", "task x failed"),
                     ("rollback_completed", "rollback completed"))  # fmt: skip
    fake.on("10.0.0.1", "service ls", Reply(stdout="shop_web 2/2\n"))
    fake.on("10.0.0.1", "service ps", Reply(stdout="registry.lab:5000/shop:v1\n" * 2))
    with pytest.raises(DockyardError, match=r"back \(rollback_completed: task x failed\)"):
        await run(fake)


async def test_an_update_swarm_rolled_back_fails_naming_the_service_and_the_cause() -> None:
    fake = make_fake(
        ("before", ""), ("updating", "update in progress"),
        ("rollback_started", "update rolled back due to failure or early termination of task x1"),
        ("rollback_completed", "rollback completed"),
    )  # fmt: skip
    with pytest.raises(DockyardError) as caught:
        await run(fake)
    assert str(caught.value).startswith(
        "10.0.0.1: Swarm rolled the update of shop_web back (rollback_completed: update rolled "
        "back due to failure or early termination of task x1); it runs the version before."
    )


async def test_an_update_that_never_ends_is_given_up_at_the_bound() -> None:
    fake = make_fake(("before", ""), ("updating", "update in progress"))
    with pytest.raises(DockyardError, match=r"shop_web did not finish updating within 0.05s"):
        await run(fake, seconds=0.05)


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return checked(failure, error, first_read=2)  # after the two pulls


def check_scale(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return checked(failure, error, first_read=0)


def checked(failure: Failure, error: BaseException | None, *, first_read: int) -> str:
    if error is None and failure.index == first_read and failure.fault == "exit":
        return ""  # the read before: a service that says nothing has had no update yet
    return one_line_naming_host_and_cause(failure, error)


async def test_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_fake, run)
    assert len(steps) == 9
    assert await each_step_failing(make_fake, run, check, steps) == []


def make_scaled() -> FakeTransport:
    listed = iter(["shop_web 3/6\n", "shop_web 6/6\n"])
    return FakeTransport(
        {STATUS: Reply(stdout=json.dumps({"State": "completed", "StartedAt": "t0"}) + "\n"),
         "service ls": lambda host, command: Reply(stdout=next(listed, "shop_web 6/6\n")),
         "service ps": Reply(stdout=f"{IMAGE}\n" * 6)},
        default_timeout=30,
    )  # fmt: skip


async def scale(fake: FakeTransport) -> dict[str, str]:
    manager = Server(fake, "10.0.0.1", DOCKER)
    return await scale_service(manager, "shop", "web", 6, seconds=5)


async def test_scaling_waits_until_every_task_runs() -> None:
    fake = make_scaled()
    assert await scale(fake) == {"shop_web": "running"}
    assert fake.commands_on("10.0.0.1") == [
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
        "docker service scale --detach shop_web=6",
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
        "docker service ls --filter label=com.docker.stack.namespace=shop "
        "--format '{{.Name}} {{.Replicas}}'",
        "docker service ps --filter desired-state=running --format '{{.Image}}' shop_web",
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web",
        "docker service ls --filter label=com.docker.stack.namespace=shop "
        "--format '{{.Name}} {{.Replicas}}'",
        "docker service ps --filter desired-state=running --format '{{.Image}}' shop_web",
    ]


async def test_scaling_with_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_scaled, scale)
    assert len(steps) == 8
    assert await each_step_failing(make_scaled, scale, check_scale, steps) == []
