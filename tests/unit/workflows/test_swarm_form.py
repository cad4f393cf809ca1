"""`dockyard swarm setup` on the scripted transport (workflows/swarm/form.py): forming, joining,
three managers then workers, the overlay network, a second run, a node in another swarm
refused before anything changes, and every step failing."""

from __future__ import annotations

import json

import pytest

from dockyard.engine import DOCKER
from dockyard.errors import DockyardError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.server import Server
from dockyard.workflows.swarm.form import Formed, form_swarm
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path

HOSTS = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
INFO = "docker info --format"
INACTIVE = Reply(stdout=json.dumps({"LocalNodeState": "inactive", "NodeID": ""}) + "\n")
NO_NETWORK = Reply(1, "", "Error response from daemon: network shop-swarm not found\n")


def active(host: str, *, manager: bool, cluster: str = "c1", managers: str = "10.0.0.1") -> Reply:
    state = {"LocalNodeState": "active", "NodeID": f"n-{host}", "NodeAddr": host,
             "ControlAvailable": manager, "Cluster": {"ID": cluster} if manager else None,
             "RemoteManagers": [{"NodeID": "m", "Addr": f"{managers}:2377"}]}  # fmt: skip
    return Reply(stdout=json.dumps(state) + "\n")


def make_fake() -> FakeTransport:
    fake = FakeTransport({INFO: INACTIVE, "docker network inspect": NO_NETWORK}, default_timeout=30)
    fake.on("10.0.0.1", "join-token --quiet manager", Reply(stdout="SWMTKN-m\n"))
    fake.on("10.0.0.1", "join-token --quiet worker", Reply(stdout="SWMTKN-w\n"))
    for host in HOSTS:
        fake.on(host, "SSH_CONNECTION", Reply(stdout=f"{host}\n"))
    return fake


async def run(fake: FakeTransport) -> Formed:
    return await form_swarm([Server(fake, h, DOCKER) for h in HOSTS], "shop-swarm")


async def test_the_first_server_forms_it_two_join_as_managers_and_the_rest_as_workers() -> None:
    fake = make_fake()
    formed = await run(fake)
    assert formed.by_host == {
        "10.0.0.1": "formed the swarm (manager)", "10.0.0.2": "joined the swarm (manager)",
        "10.0.0.3": "joined the swarm (manager)", "10.0.0.4": "joined the swarm (worker)",
    }  # fmt: skip
    assert fake.commands_on("10.0.0.1") == [
        "docker info --format '{{json .Swarm}}'",
        'set -- $SSH_CONNECTION && echo "$3"',
        "docker swarm init --advertise-addr 10.0.0.1",
        "docker swarm join-token --quiet manager",
        "docker swarm join-token --quiet worker",
        "docker network inspect --format '{{.Driver}} {{.Attachable}}' shop-swarm",
        "docker network create --driver overlay --attachable shop-swarm",
    ]
    assert fake.commands_on("10.0.0.4") == [
        "docker info --format '{{json .Swarm}}'",
        'set -- $SSH_CONNECTION && echo "$3"',
        "docker swarm join --advertise-addr 10.0.0.4 --token [REDACTED] 10.0.0.1:2377",
    ]


async def test_a_second_run_changes_nothing() -> None:
    fake = FakeTransport(
        {"docker network inspect": Reply(stdout="overlay true\n")}, default_timeout=30
    )
    for host in HOSTS:
        fake.on(host, INFO, active(host, manager=host != "10.0.0.4"))
    formed = await run(fake)
    assert set(formed.by_host.values()) == {"in the swarm (manager)", "in the swarm (worker)"}
    assert [c.text.split(" '")[0] for c in fake.calls if "info" not in c.text] == [
        "docker network inspect --format"
    ]


async def test_a_node_joins_the_swarm_its_servers_already_formed() -> None:
    fake = make_fake().on("10.0.0.1", INFO, active("10.0.0.1", manager=True))
    fake.on("10.0.0.1", "docker network inspect", Reply(stdout="overlay true\n"))
    formed = await run(fake)
    assert formed.by_host["10.0.0.1"] == "in the swarm (manager)"
    assert formed.by_host["10.0.0.4"] == "joined the swarm (worker)"
    assert "docker swarm init" not in " ".join(c.text for c in fake.calls)


@pytest.mark.parametrize(
    "reply",
    [active("10.0.0.3", manager=False, managers="192.168.9.9"),
     active("10.0.0.3", manager=True, cluster="other")],
    ids=["a worker of other managers", "a manager of another cluster"],
)  # fmt: skip
async def test_a_node_in_another_swarm_is_refused_before_anything_changes(reply: Reply) -> None:
    fake = make_fake().on("10.0.0.1", INFO, active("10.0.0.1", manager=True))
    fake.on("10.0.0.3", INFO, reply)
    with pytest.raises(DockyardError) as caught:
        await run(fake)
    assert str(caught.value) == (
        "10.0.0.3: already in another swarm (node n-10.0.0.3); make it leave that swarm there "
        "(`docker swarm leave`), or remove it from the config"
    )
    assert all("info --format" in c.text for c in fake.calls)


async def test_a_node_in_a_broken_state_is_refused() -> None:
    fake = make_fake().on("10.0.0.2", INFO, Reply(stdout='{"LocalNodeState": "locked"}\n'))
    with pytest.raises(DockyardError, match=r"^10.0.0.2: its swarm state is locked; "):
        await run(fake)


async def test_a_network_of_that_name_that_is_not_an_attachable_overlay_is_refused() -> None:
    fake = make_fake().on("10.0.0.1", "docker network inspect", Reply(stdout="bridge false\n"))
    with pytest.raises(DockyardError, match="network shop-swarm is not an attachable overlay"):
        await run(fake)


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    return one_line_naming_host_and_cause(failure, error)


async def test_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_fake, run)
    assert len(steps) == 16
    assert await each_step_failing(make_fake, run, check, steps) == []
