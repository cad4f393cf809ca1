"""`app exec`, `remove` and `prune` on the swarm on the scripted transport
(workflows/swarm/tidy.py): the command runs in a running task's container on its node, its env
exported; `remove` takes the stacks, the edges and the overlay network (the swarm stays);
`prune` limits the task history and removes ended task containers and the images of versions
`rollback` no longer goes to; every step failing ends with one line naming the host."""

from __future__ import annotations

import json

import pytest

from dockyard.commands import edge as edge_commands
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.engine import DOCKER
from dockyard.errors import NotFoundError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.swarm import tidy
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import transcript

CONFIG = """
service: shop
image: shop
registry: {server: registry.lab:5000, username: u, password: [P]}
builder: {arch: amd64}
servers: [10.0.0.1, 10.0.0.2]
proxy: {host: shop.test}
x-dockyard: {backend: swarm}
"""
HOSTS = ("10.0.0.1", "10.0.0.2")


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tidy, "POLL", 0.001)


def config() -> Config:
    return parse_config([("config/deploy.yml", CONFIG)], version="v3")


def formed() -> FakeTransport:
    fake = FakeTransport(default_timeout=30)
    for n, host in enumerate(HOSTS):
        state = {"LocalNodeState": "active", "NodeID": f"node{n + 1}", "NodeAddr": host,
                 "ControlAvailable": n == 0, "Cluster": {"ID": "c1"},
                 "RemoteManagers": [{"NodeID": "node1", "Addr": "10.0.0.1:2377"}]}  # fmt: skip
        fake.on(host, "docker info --format", Reply(stdout=json.dumps(state) + "\n"))
    return fake


def with_task() -> FakeTransport:
    fake = formed()
    tasks = "node1 aaa starting\nnode2 c0ffee running\n"
    return fake.on("10.0.0.1", "docker service ps --quiet", Reply(stdout=tasks))


async def in_task(fake: FakeTransport) -> str:
    server, container = await tidy.task_container(fake, config(), "web")
    result = await server.run(tidy.commands.exec_in_task(container, "echo $SERVICE", {}))
    return f"{server.host} {result.stdout}"


async def test_the_command_runs_in_a_running_tasks_container_on_its_node() -> None:
    fake = with_task()
    fake.on("10.0.0.2", "docker exec c0ffee", Reply(stdout="shop\n"))
    assert await in_task(fake) == "10.0.0.2 shop\n"
    assert fake.commands_on("10.0.0.2")[-1].startswith(
        "docker exec c0ffee /bin/sh -c 'set -a; . /run/secrets/env; set +a; exec \"$@\"' sh "
    )


async def test_no_running_task_is_not_found() -> None:
    fake = formed().on(
        "10.0.0.1", "docker service ps --quiet", Reply(stdout="node1 aaa starting\n")
    )
    with pytest.raises(NotFoundError, match=r"^shop_web has no running task on a server of "):
        await in_task(fake)


async def test_finding_a_task_with_every_step_failing_ends_with_one_line() -> None:
    steps = await happy_path(with_task, in_task)
    assert await each_step_failing(with_task, in_task, check, steps) == []


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return one_line_naming_host_and_cause(failure, error)


def network_busy() -> FakeTransport:
    said = iter([Reply(1, "", "error: network shop-swarm has active endpoints")])
    fake = formed()
    return fake.on("10.0.0.1", "docker network rm", lambda host, command: next(said, Reply()))


async def remove(fake: FakeTransport) -> object:
    return await tidy.remove_everything_over(fake, config(), [])


# the edge's container, its certificate mover's crontab line, its data and state
EDGE_REMOVED = edge_commands.remove(DOCKER).render()


async def test_remove_takes_the_stack_the_edges_and_the_network_and_says_the_swarm_stays() -> None:
    fake = network_busy()
    app, accessories, kept = await tidy.remove_everything_over(fake, config(), [])
    assert app == {
        "10.0.0.1": "stack shop removed (its services and secrets); edge removed; "
        "network shop-swarm removed",
        "10.0.0.2": "edge removed",
    }
    assert (accessories, kept) == ({}, {"10.0.0.1": [tidy.SWARM_STAYS]})
    assert transcript(fake) == (
        "# 10.0.0.1\nrun: docker info --format '{{json .Swarm}}'\n"
        "run: docker stack rm shop\nrun: rm -rf .dockyard/swarm/shop\n"
        f"run: {EDGE_REMOVED}\n"
        "run: docker network rm shop-swarm\nrun: docker network rm shop-swarm\n"
        "# 10.0.0.2\nrun: docker info --format '{{json .Swarm}}'\n"
        f"run: {EDGE_REMOVED}\n"
    )


async def test_a_network_still_in_use_at_the_bound_is_kept_saying_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tidy, "NETWORK_SECONDS", 0.01)
    fake = formed().on("10.0.0.1", "docker network rm", Reply(1, "", "has active endpoints"))
    app, _, kept = await tidy.remove_everything_over(fake, config(), [])
    assert app["10.0.0.1"] == "stack shop removed (its services and secrets); edge removed"
    assert kept == {"10.0.0.1": [tidy.SWARM_STAYS, (
        "network shop-swarm kept: a task Swarm has not forgotten yet still uses it 0.01s "
        "after; `docker network rm shop-swarm` there later")]}  # fmt: skip


def check_remove(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    if error is None and "network rm" in failure.call.text and failure.fault == "exit":
        return ""  # tried again: the network's endpoints may take a moment to leave
    return one_line_naming_host_and_cause(failure, error)


async def test_removing_with_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(network_busy, remove)
    assert await each_step_failing(network_busy, remove, check_remove, steps) == []


def pruned() -> FakeTransport:
    fake = formed()
    fake.on("10.0.0.1", "swarm/shop/versions", Reply(stdout="v1\nv2\nv3\n"))
    fake.on("10.0.0.2", "for id in", Reply(stdout="removed container 0ld\n"))
    return fake.on("10.0.0.2", "for image in", Reply(stdout="removed registry.lab:5000/shop:v0\n"))


async def prune(fake: FakeTransport) -> dict[str, list[str]]:
    return await tidy.prune_over(fake, config(), containers=True, images=True)


async def test_prune_limits_the_task_history_and_keeps_the_versions_rollback_goes_to() -> None:
    fake = pruned()
    assert await prune(fake) == {
        "10.0.0.1": ["task history: 5 ended tasks kept a slot"],
        "10.0.0.2": ["removed container 0ld", "removed registry.lab:5000/shop:v0"],
    }
    manager = fake.commands_on("10.0.0.1")
    assert manager[1:3] == [
        "docker swarm update --task-history-limit 5",
        "cat .dockyard/swarm/shop/versions 2>/dev/null || true",
    ]
    assert (
        'case " registry.lab:5000/shop:v1 registry.lab:5000/shop:v2 registry.lab:5000/shop:v3 "'
        in manager[-1]
    )


async def test_pruning_with_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(pruned, prune)
    assert await each_step_failing(pruned, prune, check, steps) == []
