"""With x-dockyard/backend: swarm, `deploy`, `rollback` and `app scale` as the CLI calls them
(workflows/deploy/release.py, workflows/swarm/release.py) go to the swarm, on the scripted
transport: a deploy delivers the image to every node and applies the stack on the first
manager; a rollback goes to the version recorded before the current one, its image kept on
the nodes or pulled again; `setup` checks the engine and joins the swarm first; a scale
takes the deploy lock; `details` lists each node's tasks and `app logs` every task's lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dockyard.commands.logs import LogQuery
from dockyard.errors import (
    AccessoriesFailed,
    LockError,
    NotFoundError,
)
from dockyard.plan.overview import ContainerDetail
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage as accessory_manage
from dockyard.workflows.app import execute, overview
from dockyard.workflows.app import logs as app_logs
from dockyard.workflows.app import prune as app_prune
from dockyard.workflows.app import remove as app_remove
from dockyard.workflows.deploy import release
from dockyard.workflows.session import Request, Session, Silent
from dockyard.workflows.swarm import deploy
from dockyard.workflows.swarm import manage as swarm_manage
from dockyard.workflows.swarm import release as swarm_release
from dockyard.workflows.swarm import tidy as swarm_tidy
from tests.unit.workflows.fleet import HOME
from tests.unit.workflows.test_swarm_release import CONFIG, EDGE_CONFIG

STACK_DEPLOY = "docker stack deploy --compose-file stack.yml --resolve-image never --prune shop"
LOCK = 'mkdir "$HOME/.dockyard/lock-shop"'


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)


def session(
    fake: FakeTransport, tmp_path: Path, version: str | None = "v3", config: str = CONFIG
) -> Session:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "deploy.yml").write_text(config)
    (tmp_path / ".kamal").mkdir(exist_ok=True)
    (tmp_path / ".kamal" / "secrets").write_text("P=pw\n")
    request = Request(config_file=str(tmp_path / "config" / "deploy.yml"), version=version)
    loaded = Session.load(request, Silent())
    return replace(loaded, root=tmp_path, connect=lambda options: fake)


def swarm_fake(history: str = "v1\nv2\n") -> FakeTransport:
    statuses = iter(["null", '{"State": "updating", "StartedAt": "t1"}'])
    done = '{"State": "completed", "StartedAt": "t1"}'
    manager = {"LocalNodeState": "active", "NodeID": "n1", "NodeAddr": "10.0.0.1",
               "ControlAvailable": True, "Cluster": {"ID": "c1"}, "RemoteManagers": []}  # fmt: skip
    fake = FakeTransport(
        {"docker info --format": Reply(stdout=json.dumps(manager) + "\n"),
         "{{json .Config.Entrypoint}}": Reply(stdout="null\n[\"httpd\"]\n"),
         "UpdateStatus": lambda host, command: Reply(stdout=next(statuses, done) + "\n"),
         "swarm/shop/versions 2>": Reply(stdout=history),
         "docker login": Reply(stdout="service=shop\n"),
         "dockyard-edge 2>/dev/null": Reply(stdout=f"{HOME}\0{EDGE_CONFIG}\0true\n")},
        default_timeout=30,
    )  # fmt: skip
    return fake


def test_deploy_and_rollback_choose_the_swarm(tmp_path: Path) -> None:
    fake = swarm_fake()
    done = release.deploy(session(fake, tmp_path), build=False)
    assert (done.version, done.booted) == ("v3", ())
    assert done.services == (("10.0.0.1", "shop_web: updated"),)
    for host in ("10.0.0.1", "10.0.0.2"):
        assert "docker pull --quiet registry.lab:5000/shop:v3" in " ".join(fake.commands_on(host))
    ran = fake.commands_on("10.0.0.1")
    assert LOCK in ran[0] and STACK_DEPLOY in " ".join(ran)
    assert fake.uploads["10.0.0.1"][-1].data == b"v1\nv2\nv3\n"

    fake = swarm_fake("v1\nv2\nv3\n")
    back = release.rollback(session(fake, tmp_path, version=None), None)
    assert (back.version, back.services) == ("v2", (("10.0.0.1", "shop_web: updated"),))
    kept = (
        "docker image inspect --format '{{.Id}}' registry.lab:5000/shop:v2 >/dev/null 2>&1 || "
        "docker pull --quiet registry.lab:5000/shop:v2"
    )
    assert kept in fake.commands_on("10.0.0.2")
    assert fake.uploads["10.0.0.1"][-1].data == b"v1\nv3\nv2\n"


def test_scale_takes_the_deploy_lock(tmp_path: Path) -> None:
    fake = swarm_fake()
    fake.on("10.0.0.1", "docker service ls", Reply(stdout="shop_web 6/6\n"))
    fake.on("10.0.0.1", LOCK, Reply(1, "", "mkdir: File exists"))
    with pytest.raises(LockError, match=r"the deploy lock on 10.0.0.1 is held"):
        swarm_release.scale(session(fake, tmp_path), "web", 6)
    assert not [c for c in fake.commands_on("10.0.0.1") if "service scale" in c]


TASKS = [
    {"Name": "shop_web.1", "Image": "registry.lab:5000/shop:v3@sha256:ab", "Node": "s2",
     "CurrentState": "Running 2 minutes ago", "Error": ""},
    {"Name": "shop_web.2", "Image": "registry.lab:5000/shop:v3@sha256:ab", "Node": "s1",
     "CurrentState": "Starting 1 second ago", "Error": "task: non-zero exit (1)"},
]  # fmt: skip


def test_details_lists_each_nodes_running_tasks(tmp_path: Path) -> None:
    fake = swarm_fake()
    listed = "".join(json.dumps(task) + "\n" for task in TASKS)
    fake.on("10.0.0.1", "docker stack ps", Reply(stdout=listed))
    found = overview.details(session(fake, tmp_path))
    assert found == {
        "s1": [ContainerDetail("app", "shop_web.2", "registry.lab:5000/shop:v3",
                               "starting (task: non-zero exit (1))", role="web", version="v3")],
        "s2": [ContainerDetail("app", "shop_web.1", "registry.lab:5000/shop:v3", "running",
                               role="web", version="v3")],
    }  # fmt: skip
    assert fake.commands_on("10.0.0.1")[-1] == (
        "docker stack ps --filter desired-state=running --no-trunc --format '{{json .}}' shop"
    )


def test_details_without_a_task_says_to_deploy(tmp_path: Path) -> None:
    fake = swarm_fake()
    fake.on("10.0.0.1", "docker stack ps", Reply(1, "", "nothing found in stack: shop"))
    with pytest.raises(NotFoundError, match=r"^shop has no task running on the swarm; deploy"):
        overview.details(session(fake, tmp_path))


def test_app_logs_read_every_tasks_lines_from_the_first_manager(tmp_path: Path) -> None:
    fake = swarm_fake()
    fake.on("10.0.0.1", "service logs", Reply(stdout="shop_web.1.x@s2 | GET /up 200\n"))
    found = app_logs.logs(session(fake, tmp_path), LogQuery.kamal(lines=5))
    assert found == {"10.0.0.1": {"web": ["shop_web.1.x@s2 | GET /up 200"]}}
    fake = swarm_fake()
    fake.on("10.0.0.1", "service logs", Reply(3, "", "no service shop_web in the swarm"))
    with pytest.raises(NotFoundError, match=r"^shop has no service on the swarm; deploy it"):
        app_logs.logs(session(fake, tmp_path), LogQuery.kamal())


def formed_swarm_fake() -> FakeTransport:
    fake = swarm_fake()
    for host in ("10.0.0.1", "10.0.0.2"):
        state = {"LocalNodeState": "active", "NodeID": f"n-{host}", "NodeAddr": host,
                 "ControlAvailable": True, "Cluster": {"ID": "c1"},
                 "RemoteManagers": [{"NodeID": "m", "Addr": "10.0.0.1:2377"}]}  # fmt: skip
        fake.on(host, "docker info --format", Reply(stdout=json.dumps(state) + "\n"))
    fake.on("10.0.0.1", "docker network inspect", Reply(stdout="overlay true\n"))
    return fake


ACCESSORY = "accessories:\n  db: {image: postgres:16, host: 10.0.0.2}\n"


def with_accessory(fake: FakeTransport) -> FakeTransport:
    """The accessory's service: new (no update yet), its one task running."""
    fake.on("10.0.0.1", "UpdateStatus}}' shop-db_db", Reply(stdout="null\n"))
    fake.on("10.0.0.1", "namespace=shop-db", Reply(stdout="shop-db_db 1/1\n"))
    return fake.on("10.0.0.1", "'{{.Image}}' shop-db_db", Reply(stdout="postgres:16\n"))


def test_setup_boots_the_accessories_as_services_before_the_app(tmp_path: Path) -> None:
    fake = with_accessory(formed_swarm_fake())
    done = release.setup(session(fake, tmp_path, config=CONFIG + ACCESSORY), build=False)
    assert (done.services, done.warnings) == ((("10.0.0.1", "shop_web: updated"),), ())
    manager = fake.commands_on("10.0.0.1")
    accessory = manager.index(
        "cd .dockyard/swarm/shop-db && docker stack deploy --compose-file stack.yml "
        "--resolve-image never --prune shop-db"
    )
    assert accessory < manager.index(f"cd .dockyard/swarm/shop && {STACK_DEPLOY}")
    assert "docker pull --quiet postgres:16" in fake.commands_on("10.0.0.2")


def test_setup_does_not_deploy_the_app_when_an_accessory_failed(tmp_path: Path) -> None:
    fake = with_accessory(formed_swarm_fake())
    fake.on("10.0.0.2", "docker pull --quiet postgres:16", Reply(1, "", "no such image"))
    with pytest.raises(AccessoriesFailed) as caught:
        release.setup(session(fake, tmp_path, config=CONFIG + ACCESSORY), build=False)
    assert "10.0.0.2 (db): booting db failed:" in str(caught.value)
    assert not any(STACK_DEPLOY in c for c in fake.commands_on("10.0.0.1"))


def test_setup_checks_the_engine_joins_the_swarm_then_deploys(tmp_path: Path) -> None:
    fake = formed_swarm_fake()
    done = release.setup(session(fake, tmp_path), build=False)
    assert done.services == (("10.0.0.1", "shop_web: updated"),)
    ran = fake.commands_on("10.0.0.2")
    assert ran[0] == "command -v docker >/dev/null"
    assert ran[1] == "docker info --format '{{json .Swarm}}'"
    assert "docker network inspect --format '{{.Driver}} {{.Attachable}}' shop-swarm" in (
        fake.commands_on("10.0.0.1")
    )


def test_accessory_logs_are_its_services(tmp_path: Path) -> None:
    fake = formed_swarm_fake()
    fake.on("10.0.0.1", "service logs", Reply(stdout="shop-db_db.1.x@s2 | ready\n"))
    loaded = session(fake, tmp_path, config=CONFIG + ACCESSORY)
    found = accessory_manage.logs(loaded, "db", LogQuery.kamal(lines=5))
    assert found == {"10.0.0.2": ["shop-db_db.1.x@s2 | ready"]}
    assert any("service logs" in c and "shop-db_db" in c for c in fake.commands_on("10.0.0.1"))


def test_app_exec_reuse_on_the_swarm_runs_in_a_task(
    tmp_path: Path,
) -> None:
    fake = formed_swarm_fake()
    fake.on("10.0.0.1", "docker service ps --quiet", Reply(stdout="n-10.0.0.2 c0ffee running\n"))
    fake.on("10.0.0.2", "docker exec c0ffee", Reply(stdout="v3\n"))
    found = execute.run_everywhere(session(fake, tmp_path), ["echo", "1"], reuse=True)
    assert {host: result.stdout for host, result in found.items()} == {"10.0.0.2": "v3\n"}


def test_prune_and_remove_on_the_swarm_go_to_the_swarm(tmp_path: Path) -> None:
    fake = formed_swarm_fake()
    pruned = app_prune.prune(session(fake, tmp_path), containers=True, images=False)
    assert pruned == {"10.0.0.1": ["task history: 5 ended tasks kept a slot"], "10.0.0.2": []}
    removed = app_remove.remove_everything(session(formed_swarm_fake(), tmp_path))
    assert removed.app["10.0.0.1"].startswith("stack shop removed (its services and secrets)")
    assert removed.kept == {"10.0.0.1": [swarm_tidy.SWARM_STAYS]}


def test_status_says_where_the_kernel_runs_ipvs(tmp_path: Path) -> None:
    fake = swarm_fake()
    fake.on("10.0.0.1", "ip_vs", Reply(stdout="ipvs=no\n"))
    fake.on("10.0.0.2", "ip_vs", Reply(stdout="ipvs=yes\n"))
    states = swarm_manage.status(session(fake, tmp_path, version=None))
    assert {host: state.ipvs for host, state in states.items()} == {
        "10.0.0.1": False,
        "10.0.0.2": True,
    }
    assert all(state.active and state.manager for state in states.values())
