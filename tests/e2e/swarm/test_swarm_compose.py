"""A Compose project as the app's spec, deployed to a 3-node lab swarm (x-dockyard: {backend:
swarm}), read through the real Docker Compose: `setup` forms the swarm and deploys the app
service (3 replicas kept off s3 by its placement constraint, updated 2 at a time: its
`deploy:` keys) and a worker service of the same image (1 replica), served through dockyard's
Caddy edge, and a Postgres service with a named volume, an accessory: one service pinned to
the first server, reached over the overlay network by its Kamal name (`otto-db`) and its
Compose service name (`db`) from a container of the app's image; a second deploy
(`VERSION=v2`) rolls the app out under continuous load without a failed request, and the row
written before is read after it; `app exec --detach` leaves a named container of the role's
image on the first manager, with the role's env, its env file removed; `remove` leaves no
service, secret, container, volume, edge or network of the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..deploy.conftest import ssh
from ..deploy.harness import Load, get
from ..deploy.images import push_version
from ..labs import group, running

pytestmark = [pytest.mark.e2e, group("swarm-compose-docker")]

HOST = "otto.test"
WORKER = "trap 'exit 0' TERM; while :; do sleep 1; done"
# What this project says of the app service's tasks, as `docker service inspect` shows it.
REPLICAS, PARALLELISM, CONSTRAINT = 3, 2, "node.hostname != s3"
DB = "otto-db_db"  # the accessory's stack and service: <service>-<accessory>_<accessory>
DB_TASK = f"$(docker ps -q -f label=com.docker.swarm.service.name={DB})"
# from a new container of its image on the overlay network, by its Kamal name, with its env
PSQL = "sh -c 'PGPASSWORD=$POSTGRES_PASSWORD psql -h otto-db -U otto -d otto -tAc \"{sql}\"'"


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("swarm-compose-docker", "docker", servers=3) as info:
        yield info


@pytest.fixture(scope="module")
def project(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for version in ("v1", "v2"):
        push_version(lab, "otto/app", version, pad=0, service="otto")
    root = tmp_path_factory.mktemp("otto-swarm")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    servers = ", ".join(server.ip for server in lab.servers)
    postgres = ensure_db_images(lab)["postgres"]
    (root / "compose.yaml").write_text(
        f"""name: otto
x-dockyard:
  service: otto
  servers: [{servers}]
  registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
  ssh: {{config: {lab.ssh_config}}}
  proxy: {{host: {HOST}, app_port: 80, healthcheck: {{path: /up, interval: 1}}}}
  deploy_timeout: 15
  caddy: {{image: {lab.images["proxy"]}}}
  backend: swarm
  swarm: {{monitor: 2}}
services:
  app:
    image: "otto/app:${{VERSION}}"
    environment: {{SERVICE: otto}}
    healthcheck: {{test: [CMD, wget, -qO-, "http://127.0.0.1/up"], interval: 1s}}
    deploy:
      replicas: {REPLICAS}
      placement: {{constraints: ["{CONSTRAINT}"]}}
      update_config: {{parallelism: {PARALLELISM}}}
  worker:
    image: "otto/app:${{VERSION}}"
    command: [sh, -c, "{WORKER}"]
    deploy: {{replicas: 1}}
  db:
    image: {postgres}
    environment: {{POSTGRES_USER: otto, POSTGRES_DB: otto, POSTGRES_PASSWORD: pg-s3cret}}
    volumes: ["pg:/var/lib/postgresql/data"]
volumes: {{pg: {{}}}}
"""
    )
    return root


def ok(root: Path, version: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`VERSION=<version> dockyard ARGS` (Compose interpolates ${VERSION} in the image tags);
    it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", *args], cwd=root, capture_output=True, text=True,
        timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, "VERSION": version},
    )  # fmt: skip
    assert done.returncode == 0, f"dockyard {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def on(lab: labs.LabInfo, host: str, command: str) -> str:
    done = ssh(lab, host, command)
    assert done.returncode == 0, f"{host}: {command}: {done.stderr}"
    return done.stdout


def service(lab: labs.LabInfo, name: str) -> dict[str, object]:
    spec = on(lab, "s1", f"docker service inspect --format '{{{{json .Spec}}}}' {name}")
    found: dict[str, object] = json.loads(spec)
    return found


def task_nodes(lab: labs.LabInfo, name: str) -> list[str]:
    tasks = f"docker service ps {name} -f desired-state=running --format '{{{{.Node}}}}'"
    return sorted(on(lab, "s1", tasks).split())


def test_setup_deploys_the_project_with_its_replicas_and_placement(
    lab: labs.LabInfo, project: Path
) -> None:
    s1 = lab.servers[0].ip
    done = ok(project, "v1", "setup")
    ips = [server.ip for server in lab.servers]
    assert done.stdout.startswith(
        f"  [{ips[0]}] formed the swarm (manager)\n  [{ips[1]}] joined the swarm (manager)\n"
        f"  [{ips[2]}] joined the swarm (manager)\n"
    ), done.stdout
    assert f"  {s1}: otto_app: running\n" in done.stdout, done.stdout
    assert "services.app.deploy" not in done.stderr  # its deploy keys are all honoured
    # Swarm takes no docker-run options: the service's own check is said not given, and the
    # tasks are checked on x-dockyard.proxy.healthcheck (below)
    assert "services.app.healthcheck: not given to a Swarm service yet" in done.stderr
    assert get(s1, HOST) == (200, "hello from otto v1\n")
    app = service(lab, "otto_app")
    assert app["Mode"] == {"Replicated": {"Replicas": REPLICAS}}, app["Mode"]
    assert app["TaskTemplate"]["Placement"]["Constraints"] == [CONSTRAINT]  # type: ignore[index]
    assert app["UpdateConfig"]["Parallelism"] == PARALLELISM  # type: ignore[index]
    check = app["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"]  # type: ignore[index]
    assert "http://127.0.0.1:80/up" in " ".join(check), check  # x-dockyard.proxy.healthcheck
    nodes = task_nodes(lab, "otto_app")
    assert len(nodes) == REPLICAS and set(nodes) <= {"s1", "s2"}, nodes
    worker = service(lab, "otto_worker")
    assert worker["Mode"] == {"Replicated": {"Replicas": 1}}, worker["Mode"]
    assert len(task_nodes(lab, "otto_worker")) == 1
    # the Postgres service is an accessory: one task pinned to the first server, its named
    # volume under Compose's name; nothing of it reported
    assert f"[{s1}] db: otto-db booted ({DB}: running)" in done.stdout, done.stdout
    assert "services.db" not in done.stderr, done.stderr
    db = service(lab, DB)
    assert db["TaskTemplate"]["Placement"]["Constraints"][0].startswith("node.id==")  # type: ignore[index]
    mounts = db["TaskTemplate"]["ContainerSpec"]["Mounts"]  # type: ignore[index]
    assert [(m["Type"], m["Source"]) for m in mounts] == [("volume", "otto_pg")], mounts
    assert task_nodes(lab, DB) == ["s1"]


def test_the_app_reaches_the_accessory_by_its_kamal_name_and_a_row_is_written(
    lab: labs.LabInfo, project: Path
) -> None:
    """From a new container of the app's image on the overlay network (busybox's nc: the
    connection closed by Postgres on an empty startup packet), the accessory answers on 5432 by
    its Kamal name `otto-db` and by its Compose service name `db` (the stack's service name,
    which `docker stack deploy` makes an alias); a row is written from a new container of the
    accessory's image, by its Kamal name."""
    wait_ok(lab, "s1", f"docker exec {DB_TASK} pg_isready -U otto -d otto")
    reach = ("sh -c 'for name in otto-db db; do nc -w 5 $name 5432 </dev/null && "
             "echo reached $name; done'")  # fmt: skip
    said = ok(project, "v1", "app", "exec", reach).stdout
    s1 = lab.servers[0].ip
    assert said.splitlines() == [f"{s1}: reached otto-db", f"{s1}: reached db"], said
    sql = "CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)"
    ok(project, "v1", "accessory", "exec", "db", PSQL.format(sql=sql))


def test_a_second_deploy_rolls_out_under_load_without_a_failed_request(
    lab: labs.LabInfo, project: Path
) -> None:
    s1 = lab.servers[0].ip
    loads = [Load(s1, HOST, max_seconds=120, keep_alive=k) for k in (False, True)]
    with loads[0], loads[1]:
        started = time.monotonic()
        done = ok(project, "v2", "deploy")
        took = time.monotonic() - started
        time.sleep(1)  # answers after the update too
    assert f"  {s1}: otto_app: updated\n" in done.stdout, done.stdout
    for load in loads:
        assert load.failures == [] and load.ok > 50, (load.ok, load.failures[:5])
        assert load.bodies == {"hello from otto v1", "hello from otto v2"}, load.bodies
    assert get(s1, HOST) == (200, "hello from otto v2\n")
    images = on(lab, "s1", "docker service ps otto_app -f desired-state=running "
                "--format '{{.Image}}'").split()  # fmt: skip
    assert images == [f"{lab.registry_host}/otto/app:v2"] * REPLICAS, images
    assert set(task_nodes(lab, "otto_app")) <= {"s1", "s2"}  # placed as the project says
    print(f"swarm compose: deploy v2 in {took:.1f} s, {sum(x.ok for x in loads)} requests")
    # the accessory was not touched (the same task) and its row is read after the deploy
    assert task_nodes(lab, DB) == ["s1"]
    said = ok(project, "v2", "accessory", "exec", "db", PSQL.format(sql="select id from marker"))
    assert said.stdout.strip().endswith("42"), said.stdout


def test_app_exec_detach_leaves_a_named_container_with_the_roles_env(
    lab: labs.LabInfo, project: Path
) -> None:
    s1 = lab.servers[0].ip
    said = ok(project, "v2", "app", "exec", "--detach", "sh -c 'echo $SERVICE $KAMAL_VERSION; "
              "sleep 60'").stdout.splitlines()  # fmt: skip
    assert said[0].startswith(f"{s1}: otto-app-exec-") and " started, detached " in said[0], said
    name = said[0].split()[1]
    assert said[1:] == [
        f"{s1}: follow its output: dockyard server exec -h {s1} -i 'docker logs --follow {name}'",
        f"{s1}: remove it: dockyard server exec -h {s1} 'docker rm --force {name}'",
    ]
    state = on(lab, "s1", f"docker inspect --format '{{{{.State.Running}}}}' {name}")
    assert state.strip() == "true"  # it outlives the command
    assert on(lab, "s1", f"docker logs {name}").strip() == "otto v2"
    network = on(lab, "s1", f"docker inspect --format '{{{{json .NetworkSettings.Networks}}}}' "
                 f"{name}")  # fmt: skip
    assert list(json.loads(network)) == ["otto-swarm"]
    assert on(lab, "s1", "ls -A .dockyard/apps/otto/env/exec").strip() == ""  # no env file left
    ok(project, "v2", "server", "exec", "-h", s1, f"docker rm --force {name}")
    assert on(lab, "s1", f"docker ps -aq -f name={name}").strip() == ""


def test_remove_leaves_nothing_of_the_app_but_the_accessorys_volume(
    lab: labs.LabInfo, project: Path
) -> None:
    removed = ok(project, "v2", "remove", "-y").stdout
    assert "the swarm stays formed" in removed, removed
    assert on(lab, "s1", "docker service ls -q").strip() == ""
    assert on(lab, "s1", "docker secret ls -q").strip() == ""
    left = "docker ps -aq -f label=com.docker.stack.namespace=otto; docker ps -aq -f name=otto-"
    for server in ("s1", "s2", "s3"):  # each node's agent removes its tasks' containers
        wait_until(lab, server, left, "")
        assert on(lab, server, "docker ps -aq -f name=dockyard-edge").strip() == ""
        wait_until(lab, server, "docker network ls -q -f name=^otto-swarm$", "")
    # but the accessory's named volume, its data, as Kamal's remove and `docker compose down`
    # (without -v) keep a named volume
    assert on(lab, "s1", "docker volume ls -q -f name=otto").split() == ["otto_pg"]


def wait_ok(lab: labs.LabInfo, host: str, command: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while (done := ssh(lab, host, command)).returncode != 0:
        assert time.monotonic() < deadline, f"{host}: {command}: {done.stdout}{done.stderr}"
        time.sleep(0.5)


def wait_until(
    lab: labs.LabInfo, host: str, command: str, wanted: str, seconds: float = 30
) -> None:
    deadline, said = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        said = on(lab, host, command).strip()
        if said == wanted:
            return
        time.sleep(0.5)
    raise AssertionError(f"{host}: {command}: {said!r} after {seconds} s, not {wanted!r}")
