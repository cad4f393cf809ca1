"""facts/swarm.py on what Docker 20.10 printed on a 3-node lab swarm."""

from __future__ import annotations

import pytest

from dockyard.errors import DockyardError
from dockyard.facts.swarm import (
    ImageCommand,
    Node,
    SwarmState,
    UpdateStatus,
    parse_image_command,
    parse_ipvs,
    parse_nodes,
    parse_replicas,
    parse_swarm_state,
    parse_update_status,
    replaced,
    task_containers,
)

MANAGER = (
    '{"NodeID":"pxcc","NodeAddr":"10.144.0.12","LocalNodeState":"active","ControlAvailable":true,'
    '"Error":"","RemoteManagers":[{"NodeID":"uohd","Addr":"10.144.0.13:2377"},'
    '{"NodeID":"8o1q","Addr":"10.144.0.11:2377"}],"Nodes":3,"Managers":3,'
    '"Cluster":{"ID":"v1c0","Version":{"Index":10}}}\n'
)
INACTIVE = (
    '{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,'
    '"Error":"","RemoteManagers":null}\n'
)


def test_a_manager_and_a_node_outside_any_swarm() -> None:
    assert parse_swarm_state("s2", MANAGER) == SwarmState(
        state="active", node_id="pxcc", address="10.144.0.12", manager=True, cluster="v1c0",
        managers=("10.144.0.13", "10.144.0.11"),
    )  # fmt: skip
    assert parse_swarm_state("s1", INACTIVE) == SwarmState(state="inactive")


def test_output_that_is_not_a_swarm_state_names_the_host() -> None:
    with pytest.raises(DockyardError, match=r"^s1: docker info did not say its swarm state"):
        parse_swarm_state("s1", "Template parsing error\n")


def test_nodes() -> None:
    line = (
        '{"Availability":"Active","EngineVersion":"20.10.24+dfsg1","Hostname":"s1","ID":"8o1q",'
        '"ManagerStatus":"Leader","Self":true,"Status":"Ready","TLSStatus":"Ready"}\n'
    )
    assert parse_nodes(line) == (Node("s1", "Ready", "Active", "Leader"),)


def test_what_an_image_runs() -> None:
    found = parse_image_command("s1", 'null\n["/bin/sh","/app/start.sh"]\n')
    assert found == ImageCommand((), ("/bin/sh", "/app/start.sh"))
    with pytest.raises(DockyardError, match=r"^s1: docker image inspect said"):
        parse_image_command("s1", "Error: No such image\n")


def test_update_status_and_replicas() -> None:
    line = (
        '{"State":"rollback_completed","StartedAt":"2026-12-03T18:53:31.4Z",'
        '"CompletedAt":"2026-12-03T18:54:00.6Z","Message":"rollback completed"}\n'
    )
    status = parse_update_status(line)
    assert status == UpdateStatus(
        "rollback_completed", "2026-12-03T18:53:31.4Z", "rollback completed"
    )
    assert status.over
    assert parse_update_status("null\n") is None
    assert not UpdateStatus("rollback_started", "t").over
    assert parse_replicas("shop_web 2/3\nshop_worker 1/1 (max 1 per node)\n") == {
        "shop_web": (2, 3), "shop_worker": (1, 1)}  # fmt: skip


def test_a_services_tasks_replaced_once_each_runs_in_a_new_container() -> None:
    old = "n1 0ld running\n"
    assert task_containers(old) == frozenset({"0ld"})
    before = task_containers(old)
    assert not replaced(old, before)  # the update has not begun
    assert not replaced("", before)  # the old task stopped, the new one not there yet
    assert not replaced("n1 <no value> pending\n", before)
    assert not replaced("n1 0ld running\nn1 n3w starting\n", before)
    assert replaced("n1 n3w running\n", before)


def test_whether_the_kernel_runs_ipvs() -> None:
    assert parse_ipvs("ipvs=yes\n", "ipvs=") is True
    assert parse_ipvs("ipvs=no\n", "ipvs=") is False
    assert parse_ipvs("", "ipvs=") is None  # the probe said nothing: not known
    assert parse_ipvs("ipvs=maybe\n", "ipvs=") is None
