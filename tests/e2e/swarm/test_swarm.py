"""`dockyard swarm ...` on a 3-server lab with Docker: two servers in two swarms are refused
before anything changes; setup forms one swarm of three managers and the app's attachable
overlay network, and a second run changes nothing; the stack file `swarm stack` prints deploys
the app without dockyard (the eject path): three healthy tasks that take their env from the
Swarm secret, reached as tasks.<stack>_web on the overlay (dnsrr: no IPVS needed); `swarm
`dockyard deploy` (backend: swarm) rolls versions out under the deploy lock between the hooks and
fails, naming the cause, when Swarm rolled an unhealthy one back (the version before still
serves); one version is delivered registry-free (over SSH from s1, a tag the registry never
had); `rollback VERSION` goes two versions back; `app scale web=6` and back to 3; and all of
it (5 rolling updates, a drained node) under load through dockyard's
Caddy edge on the overlay network without a failed request. `setup` boots a Postgres accessory
as a service pinned to its host, backed up by its backup container, stopped, started,
restarted and rebooted with its data kept, its logs followed, a command run in its task and in
a new container on the overlay; a job every 10 s reaches it over the overlay with the env of
the release deployed (and of the one rolled back to); `app exec` runs in a new container; a
node's engine stopped under load; `app exec --reuse` runs in a task; `prune` and `remove` tidy
the swarm (the job scheduler too)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..deploy.conftest import ssh
from ..deploy.harness import Load, dockyard, get, in_thread, write_app
from ..labs import group, running

pytestmark = [pytest.mark.e2e, group("swarm-docker")]

SWARM = "\n  backend: swarm\n  swarm:\n    monitor: 2\n"  # each new task watched 2 s (default 5)
BACKUPS = "  backups:\n    db:\n      kind: postgres\n"
ACCESSORY = """accessories:
  db:
    image: {image}
    host: {host}
    env:
      clear:
        POSTGRES_USER: demo
        POSTGRES_DB: demo
      secret:
        - POSTGRES_PASSWORD
    directories:
      - data:/var/lib/postgresql/data
"""
DB_LABEL = "label=com.docker.swarm.service.name=demo-db_db"
DB_TASK = f"$(docker ps -q -f {DB_LABEL})"
HOOKS_LOG = "hooks.log"  # in the app's directory
WEB_TASKS = "label=com.docker.swarm.service.name=demo_web"
SLOW = 6  # s: a request in flight when an engine stops, within the task's 10 s stop timeout


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("swarm-docker", "docker", servers=3) as info:
        yield info


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_app(tmp_path_factory.mktemp("swarm"), lab)
    config = root / "config" / "deploy.yml"
    text = config.read_text().replace("\nx-dockyard:\n", "\nx-dockyard:" + SWARM + BACKUPS)
    postgres = ensure_db_images(lab)["postgres"]
    config.write_text(text + ACCESSORY.format(image=postgres, host=lab.servers[1].ip))
    with (root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write("POSTGRES_PASSWORD=pg-s3cret\n")
    hooks = root / ".kamal" / "hooks"
    hooks.mkdir()
    for name in ("pre-deploy", "post-deploy"):
        (hooks / name).write_text(
            f'#!/bin/sh\necho "{name} $KAMAL_COMMAND $KAMAL_VERSION" >> {root / HOOKS_LOG}\n'
        )
        (hooks / name).chmod(0o755)
    return root


def run(app: Path, *args: str) -> str:
    done = dockyard(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_servers_in_two_swarms_are_refused_before_anything_changes(
    lab: labs.LabInfo, app: Path
) -> None:
    s1, s2, s3 = lab.servers
    for server in (s2, s3):
        ssh(lab, server.name, f"docker swarm init --advertise-addr {server.ip}")
    try:
        done = dockyard(app, "swarm", "setup")
        assert done.returncode != 0
        error = done.stderr.strip().splitlines()[-1]
        assert error.startswith(f"ERROR (DockyardError): {s3.ip}: already in another swarm")
        state = ssh(lab, s1.name, "docker info --format '{{.Swarm.LocalNodeState}}'")
        assert state.stdout.strip() == "inactive"
    finally:
        for server in (s2, s3):
            ssh(lab, server.name, "docker swarm leave --force")


def test_setup_forms_a_swarm_of_three_managers_and_a_second_run_changes_nothing(
    lab: labs.LabInfo, app: Path
) -> None:
    ips = [server.ip for server in lab.servers]
    assert run(app, "swarm", "setup") == (
        f"{ips[0]}: formed the swarm (manager)\n{ips[1]}: joined the swarm (manager)\n"
        f"{ips[2]}: joined the swarm (manager)\nnetwork: demo-swarm (attachable overlay)\n"
    )
    assert (
        run(app, "swarm", "setup")
        == "".join(f"{ip}: in the swarm (manager)\n" for ip in ips)
        + "network: demo-swarm (attachable overlay)\n"
    )
    nodes = sorted(run(app, "swarm", "nodes").splitlines())
    assert [line.split(", ")[:2] for line in nodes] == [["s1: Ready", "Active"]] + [
        [f"s{n}: Ready", "Active"] for n in (2, 3)
    ]
    assert sorted(line.rsplit(", ", 1)[1] for line in nodes) == ["Leader", "Reachable", "Reachable"]
    network = ssh(lab, "s2", "docker network inspect -f '{{.Driver}} {{.Attachable}}' demo-swarm")
    assert network.stdout.strip() == "overlay true"
    # this machine's kernel has no IPVS (docs/swarm.md): no routing mesh, which dockyard skips
    status = run(app, "swarm", "status").splitlines()
    assert len(status) == 3 and all(
        line.startswith(f"{ip}: active (manager, node ")
        for line, ip in zip(status, ips, strict=True)
    ), status
    assert all(line.endswith("; no routing mesh (no IPVS in the kernel; dockyard does not need it)")
               for line in status), status  # fmt: skip


def test_the_printed_stack_file_deploys_the_app_without_dockyard(
    lab: labs.LabInfo, app: Path
) -> None:
    stack = run(app, "swarm", "stack", "--version", "v1")
    assert "SECRET" not in stack and "endpoint_mode: dnsrr" in stack
    directory = "eject/demo"
    ssh(lab, "s1", f"mkdir -p {directory}")
    ssh_write(lab, "s1", f"{directory}/stack.yml", stack)
    for role in ("web", "worker"):
        ssh_write(lab, "s1", f"{directory}/{role}.env", "SERVICE=ejected\n")
    deployed = ssh(lab, "s1", f"cd {directory} && docker stack deploy -c stack.yml demo")
    assert deployed.returncode == 0, deployed.stderr
    try:
        wait_for(lab, "docker service ls --filter name=demo_web --format '{{.Replicas}}'", "3/3")
        probe = (
            "docker run --rm --network demo-swarm "
            f"{lab.registry_host}/busybox:latest sh -c "
            "'for i in 1 2 3 4 5 6; do wget -qO- http://tasks.demo_web/; echo; done'"
        )
        answers = set(ssh(lab, "s1", probe).stdout.split("\n")) - {""}
        assert answers == {"hello from ejected v1"}  # SERVICE, from the Swarm secret
        # the task's process has it; `docker exec` starts another process, without the file's env
        environ = "tr '\\0' '\\n' < /proc/1/environ | grep ^SERVICE="
        env = ssh(
            lab, "s1", f'docker exec $(docker ps -q -f name=demo_web | head -1) sh -c "{environ}"'
        )
        assert env.stdout.strip() == "SERVICE=ejected"
        spec = ssh(
            lab,
            "s1",
            "docker service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' demo_web",
        )
        assert spec.stdout.strip() == "null"
    finally:
        ssh(lab, "s1", "docker stack rm demo")
        wait_for(lab, "docker service ls -q --filter label=com.docker.stack.namespace=demo", "")


def test_updates_a_rolled_back_deploy_a_rollback_and_scaling_fail_no_request_through_the_edge(
    lab: labs.LabInfo, app: Path
) -> None:
    """Under load through dockyard's Caddy edge on s1 (on the overlay, routing to
    tasks.demo_web): each client, on one kept-alive connection or a new one a request, gets
    every answer."""
    s1 = lab.servers[0].ip
    assert f"  {s1}: demo_web: running\n  {s1}: demo_worker: running\n" in run(
        app, "deploy", "-P", "--version", "v1"
    )
    assert get(s1, "demo.test") == (200, "hello from demo v1\n")
    loads = [Load(s1, "demo.test", max_seconds=300, keep_alive=k) for k in (False, True)]
    with loads[0], loads[1]:
        rolled_out_and_back(lab, app)
        assert f"  {s1}: demo_web: updated\n" in run(app, "deploy", "-P", "--version", "v2")
        assert "Rolled back to v1" in run(app, "rollback")  # the version before: 5 updates
        scaled_to_six_and_back(lab, app)
        drained_and_back(lab)
    for load in loads:
        assert load.failures == [] and load.ok > 500, (load.ok, load.failures[:5])
        assert load.bodies == {"hello from demo v1", "hello from demo v2"}
    assert (app / HOOKS_LOG).read_text().splitlines() == [
        "pre-deploy deploy v1", "post-deploy deploy v1", "pre-deploy deploy v2",
        "post-deploy deploy v2", "pre-deploy deploy v3", "post-deploy deploy v3",
        "pre-deploy deploy unhealthy", "pre-deploy rollback v1", "post-deploy rollback v1",
        "pre-deploy deploy v2", "post-deploy deploy v2", "pre-deploy rollback v1",
        "post-deploy rollback v1",
    ]  # fmt: skip
    assert ssh(lab, "s1", "ls .dockyard").stdout.split().count("lock-demo") == 0
    details = run(app, "details")  # each node's running tasks
    web = [line for line in details.splitlines() if "app web  demo_web." in line]
    assert len(web) == 3 and all("  running  " in w and "version v1" in w for w in web), details
    run(app, "app", "logs", "-r", "web", "-n", "5")  # `docker service logs` on the manager
    secrets = "docker secret ls --filter label=com.docker.stack.namespace=demo --format '{{.Name}}'"
    names = ssh(lab, "s1", secrets).stdout.split()  # the earlier deploys' are removed
    assert sorted(name.rsplit("_", 1)[0] for name in names) == ["demo_web_env", "demo_worker_env"]


def test_a_nodes_engine_stopped_under_load_its_tasks_start_elsewhere(
    lab: labs.LabInfo, app: Path
) -> None:
    """Under load through the edge, s2's engine stopped while requests of SLOW seconds were in
    flight on its tasks: the engine TERMs them, the demo app finishes what it began and takes
    nothing new (as an app server like puma does; a refused dial is tried on another task),
    its tasks start on the other nodes, and no request fails."""
    s1 = lab.servers[0].ip
    loads = [Load(s1, "demo.test", max_seconds=180, keep_alive=k) for k in (False, True)]
    with loads[0], loads[1]:
        tasks = ssh(lab, "s2", f"docker ps -q -f {WEB_TASKS}").stdout.split()
        assert tasks, "no demo_web task on s2 (after the drain, s1 and s2 run them)"
        slow = [in_thread(get, s1, "demo.test", f"/cgi-bin/sleep?{SLOW}", 60) for _ in range(6)]
        wait_on(lab, "s2", f"pgrep -fx 'sleep {SLOW}' >/dev/null")  # least_conn: 2 a task
        began, gone = engine_stopped_and_back(lab, "s2")  # their answers have begun
    answers = [answer() for answer in slow]  # none cut, none tried again elsewhere (6 s)
    assert answers == [(200, f"hello from demo v1 after {SLOW}s\n")] * 6, answers
    for load in loads:
        failed = (load.ok, load.failures, f"engine stopping {began:.3f}, gone {gone:.3f}")
        assert load.failures == [] and load.ok > 100, (*failed, edge_trouble(lab, began - 5))


def test_setup_boots_an_accessory_as_a_service_pinned_to_its_host_and_it_is_backed_up(
    lab: labs.LabInfo, app: Path
) -> None:
    """`setup` boots the Postgres accessory as a service pinned to s2 (stop-first), with its
    data directory from s2; its backup container on s2 reaches it by its Kamal name on the
    overlay; details, logs (and -f), stop, start, restart, reboot, exec (in its task and in a
    new container) and remove (stack, data) work on it; `app exec` runs a new container of the
    role with its env."""
    s2 = lab.servers[1].ip
    assert f"[{s2}] db: demo-db booted (demo-db_db: running)" in run(
        app, "setup", "-P", "--version", "v1"
    )
    spec = "docker service inspect -f '{{.Spec.UpdateConfig.Order}}' demo-db_db"
    assert ssh(lab, "s1", spec).stdout.strip() == "stop-first"
    placed = "docker service ps demo-db_db -f desired-state=running --format '{{.Node}}'"
    assert ssh(lab, "s1", placed).stdout.split() == ["s2"]
    table = (
        f"docker exec {DB_TASK} psql -U demo -d demo "
        "-c 'CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)'"
    )
    assert ssh(lab, "s2", table).returncode == 0
    file = run(app, "accessory", "backup", "db").strip().splitlines()[-1].split(": ", 1)[1]
    dump = ssh(lab, "s2", f"grep -c marker .dockyard/backups/demo-db/{file.split(' ')[0]}")
    assert int(dump.stdout.strip()) > 0, dump
    details = run(app, "accessory", "details", "db")
    assert "demo-db_db.1." in details and "demo-db-backup" in details, details
    assert run(app, "accessory", "logs", "db", "-n", "50").strip()
    followed(app, "accessory", "logs", "db", "-f", "-n", "1")
    stopped_started_restarted_rebooted(lab, app)
    said = run(app, "app", "exec", "sh -c 'echo $SERVICE $KAMAL_VERSION'")
    assert said.strip().endswith("demo v1"), said  # a new container, with the role's env


REACH = (  # a connection to the accessory by its Kamal name, then the release's env
    "nc -w 2 demo-db 5432 -e /bin/true && "
    'echo "demo-db reached by $KAMAL_VERSION, $SERVICE, secret ${SECRET_KEY_BASE:+set}"'
)
CRON = f"""  cron:
    reach:
      schedule: "@every 10s"
      command: |-
        sh -c '{REACH}'
"""


def test_a_job_reaches_the_accessory_over_the_overlay_and_runs_the_release_deployed(
    lab: labs.LabInfo, app: Path
) -> None:
    """A job every 10 s (x-dockyard/cron): `deploy` installs the scheduler on the jobs' host (s1,
    the web role's first) and switches its release pointer; each tick's container joins the
    overlay and reaches the Postgres accessory on s2 by its Kamal name, with the release's env
    (KAMAL_VERSION, the clear env, the secret: 0600, no env file left over); after `rollback`
    the next ticks run v1. Then `accessory remove` takes the accessory and its data."""
    s1, s2 = lab.servers[0].ip, lab.servers[1].ip
    config = app / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("\nx-dockyard:\n", "\nx-dockyard:\n" + CRON))
    run(app, "deploy", "-P", "--version", "v2")
    assert run(app, "cron", "list").startswith(f"reach  @every 10s  on {s1}  next "), "list"
    assert ran_ok(app, "v2") == "demo-db reached by v2, demo, secret set"
    cron = ".dockyard/apps/demo/cron"
    modes = ssh(
        lab, "s1", f"stat -c %a {cron}/releases/v2/web.env; ls .dockyard/apps/demo/env/exec"
    )
    assert modes.stdout.split() == ["600"], modes  # the secrets' file it was written from: gone
    assert "Rolled back to v1" in run(app, "rollback")
    assert ran_ok(app, "v1") == "demo-db reached by v1, demo, secret set"
    removed = run(app, "accessory", "remove", "db", "-y")
    assert f"{s2}: demo-db removed with ~/demo-db" in removed
    assert ssh(lab, "s1", "docker service ls -q -f name=demo-db_db").stdout.strip() == ""
    assert ssh(lab, "s2", "test -e demo-db").returncode != 0


def ran_ok(app: Path, version: str, seconds: float = 25) -> str:
    """The output of the first tick of the job `reach` that ran `version` to its end, ok (read
    by `cron runs` and `cron logs` on the jobs' host)."""
    deadline = time.monotonic() + seconds
    said = ""
    while time.monotonic() < deadline:
        said = run(app, "cron", "runs", "reach")
        ended = [line.split()[:2] for line in said.splitlines()
                 if f" release {version} exit " in line]  # fmt: skip
        assert all(state == "ok" for _, state in ended), said  # each reached the accessory
        if ended:
            tick = ended[0][0].split("@", 1)[1]
            return run(app, "cron", "logs", "reach", tick).splitlines()[-1]
        time.sleep(1)
    raise AssertionError(f"no run of {version} ended ok within {seconds}s: {said}")


READ_ROW = "psql -U demo -d demo -tAc 'select id from marker'"
# over the overlay network, by its Kamal name, with the accessory's env (its password)
READ_ROW_OVER_OVERLAY = (
    "sh -c 'PGPASSWORD=$POSTGRES_PASSWORD psql -h demo-db -U demo -d demo -tAc "
    '"select id from marker"\''
)
DB_READY = f"docker exec {DB_TASK} pg_isready -U demo -d demo"


def stopped_started_restarted_rebooted(lab: labs.LabInfo, app: Path) -> None:
    """`accessory stop` scales it to 0 (its container gone from s2, its data kept), `start`
    back to 1, `restart` gives it a new task, `reboot` removes and boots it again: the row
    written before is read after each, in its task (`exec --reuse`) and from a new container
    on the overlay network (`exec`)."""
    s2 = lab.servers[1].ip
    assert f"{s2}: demo-db stopped" in run(app, "accessory", "stop", "db")
    assert ssh(lab, "s2", f"docker ps -q -f {DB_LABEL}").stdout.strip() == ""
    assert f"{s2}: demo-db started on {s2}" in run(app, "accessory", "start", "db")
    wait_on(lab, "s2", DB_READY, seconds=30)
    assert run(app, "accessory", "exec", "--reuse", "db", READ_ROW).strip().endswith("42")
    before = ssh(lab, "s2", f"docker ps -q -f {DB_LABEL}").stdout.strip()
    assert f"{s2}: demo-db restarted on {s2}" in run(app, "accessory", "restart", "db")
    after = ssh(lab, "s2", f"docker ps -q -f {DB_LABEL}").stdout.strip()
    assert after and after != before, (before, after)  # a new task: the data read after reboot
    assert f"{s2}: demo-db rebooted (demo-db_db: running)" in run(app, "accessory", "reboot", "db")
    wait_on(lab, "s2", DB_READY, seconds=30)
    said = run(app, "accessory", "exec", "db", READ_ROW_OVER_OVERLAY)
    assert said.strip().endswith("42"), said


def followed(app: Path, *args: str) -> None:
    """`dockyard ARGS` (a `logs -f`) prints a line within 60 s, and is then stopped."""
    argv = [sys.executable, "-m", "dockyard", *args]
    with subprocess.Popen(argv, cwd=app, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, stdin=subprocess.DEVNULL) as follow:  # fmt: skip
        stop = threading.Timer(60, follow.kill)  # a bound on the read below
        stop.start()
        try:
            assert follow.stdout is not None
            assert follow.stdout.readline().strip(), "no line followed within 60 s"
        finally:
            stop.cancel()
            follow.kill()


def rolled_out_and_back(lab: labs.LabInfo, app: Path) -> None:
    """v2, v3 (v2's image under another tag), an unhealthy version Swarm rolls back (the
    deploy fails naming the cause), then `rollback v1`: two versions back."""
    s1 = lab.servers[0].ip
    assert f"  {s1}: demo_web: updated\n" in run(app, "deploy", "-P", "--version", "v2")
    image = f"{lab.registry_host}/demo"
    tagged = ssh(lab, "s1", f"docker tag {image}:v2 {image}:v3")  # never pushed
    assert tagged.returncode == 0, tagged.stderr
    with registry_free(app, lab.servers[0].ip):  # from s1, the builder, over SSH
        assert f"  {s1}: demo_web: updated\n" in run(app, "deploy", "-P", "--version", "v3")
    for server in ("s2", "s3"):
        assert ssh(lab, server, f"docker image inspect {image}:v3").returncode == 0
    done = dockyard(app, "deploy", "-P", "--version", "unhealthy")
    assert done.returncode != 0
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith(
        f"ERROR (DockyardError): {s1}: Swarm rolled the update of demo_web back "
        "(rollback_completed: update rolled back due to failure or early termination of task "
    ), error
    assert serving(lab) == {"hello from demo v2"}
    assert "Rolled back to v1" in run(app, "rollback", "v1")
    assert serving(lab) == {"hello from demo v1"}


@contextmanager
def registry_free(app: Path, builder: str) -> Iterator[None]:
    """The config with x-dockyard/delivery: ssh and s1 as the builder, then as it was."""
    config = app / "config" / "deploy.yml"
    before = config.read_text()
    text = before.replace("builder:\n", f"builder:\n  remote: ssh://root@{builder}\n")
    config.write_text(text.replace("\nx-dockyard:\n", "\nx-dockyard:\n  delivery: ssh\n"))
    try:
        yield
    finally:
        config.write_text(before)


def scaled_to_six_and_back(lab: labs.LabInfo, app: Path) -> None:
    replicas = "docker service ls --filter name=demo_web --format '{{.Replicas}}'"
    for count in (6, 3):
        assert run(app, "app", "scale", f"web={count}") == "demo_web: running\n"
        assert ssh(lab, "s1", replicas).stdout.strip() == f"{count}/{count}"
        assert len(task_addresses(lab)) == count


def serving(lab: labs.LabInfo) -> set[str]:
    """What the web tasks answer, asked by name on the overlay (dnsrr: every task's address)."""
    probe = (
        f"docker run --rm --network demo-swarm {lab.registry_host}/busybox:latest sh -c "
        '\'for ip in $(nslookup tasks.demo_web 2>/dev/null | sed -n "s/^Address: //p"); do '
        "wget -qO- http://$ip/; echo; done'"
    )
    return set(ssh(lab, "s1", probe).stdout.split("\n")) - {""}


def ssh_write(lab: labs.LabInfo, host: str, path: str, text: str) -> None:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, f"umask 077 && cat > {path}"],
        input=text, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def wait_on(lab: labs.LabInfo, host: str, command: str, seconds: float = 20) -> None:
    """Until the command succeeds on the host."""
    deadline = time.monotonic() + seconds
    while ssh(lab, host, command).returncode != 0:
        assert time.monotonic() < deadline, f"{host}: {command} failed for {seconds}s"
        time.sleep(0.2)


def wait_for(lab: labs.LabInfo, command: str, wanted: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    said = ""
    while time.monotonic() < deadline:
        said = ssh(lab, "s1", command).stdout.strip()
        if said == wanted:
            return
        time.sleep(1)
    raise AssertionError(f"{command}: {said!r} after {seconds}s, not {wanted!r}")


def drained_and_back(lab: labs.LabInfo, seconds: float = 60) -> None:
    """s3 drained: its tasks start on s1 and s2 (Swarm takes each out of DNS first)."""
    ssh(lab, "s1", "docker node update --availability drain s3")
    tasks = (
        "docker service ps demo_web -f desired-state=running --format '{{.Node}} {{.CurrentState}}'"
    )
    deadline, said = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        said = ssh(lab, "s1", tasks).stdout.splitlines()
        if len(said) == 3 and all(
            t.split()[:2] in (["s1", "Running"], ["s2", "Running"]) for t in said
        ):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"demo_web did not leave the drained s3: {said}")
    ssh(lab, "s1", "docker node update --availability active s3")


def task_addresses(lab: labs.LabInfo) -> list[str]:
    probe = (
        f"docker run --rm --network demo-swarm {lab.registry_host}/busybox:latest "
        "nslookup tasks.demo_web"
    )
    said = ssh(lab, "s1", probe).stdout.splitlines()
    return [line.split()[1] for line in said if line.startswith("Address: ")]


ENGINE_STOP = "pkill -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 0.1; done"
ENGINE_START = (
    "setsid nohup dockerd --config-file /etc/docker/daemon.json >/dev/null 2>&1 < /dev/null &"
)


def test_exec_runs_in_a_task_prune_keeps_what_rollback_needs_and_remove_leaves_the_swarm(
    lab: labs.LabInfo, app: Path
) -> None:
    """`app exec --reuse` runs in a running task, with the task's env; `prune` limits the task
    history and removes the image of a version never recorded; `remove` takes the stack, the
    edge and the network (or says it kept the network while a task Swarm has not forgotten
    uses it), and the swarm stays."""
    image = f"{lab.registry_host}/demo"
    said = run(app, "app", "exec", "--reuse", "sh -c 'echo $SERVICE $KAMAL_VERSION'")
    assert said.strip().endswith("demo v1"), said  # the task's env, from its secret
    pruned = run(app, "prune", "all")
    assert "task history: 5 ended tasks kept a slot" in pruned, pruned
    assert f"removed {image}:unhealthy" in pruned, pruned  # never recorded: no rollback to it
    assert f"removed {image}:v2" not in pruned and f"removed {image}:v3" not in pruned, pruned
    removed = run(app, "remove", "-y")
    assert "the swarm stays formed" in removed, removed
    assert "job scheduler removed" in removed, removed  # on every node, its runs too
    assert ssh(lab, "s1", "pgrep -f 'scheduler.sh docker demo'").returncode != 0
    assert ssh(lab, "s1", "test -e .dockyard/apps/demo/cron").returncode != 0
    if "network demo-swarm removed" in removed:  # the nodes drop their copies a moment later
        wait_for(lab, "docker network ls -q -f name=^demo-swarm$", "", seconds=30)
    else:
        assert "network demo-swarm kept: a task Swarm has not forgotten yet" in removed, removed
    assert ssh(lab, "s1", "docker service ls -q").stdout.strip() == ""
    assert ssh(lab, "s1", "docker ps -q -f name=dockyard-edge").stdout.strip() == ""
    state = ssh(lab, "s2", "docker info --format '{{.Swarm.LocalNodeState}}'")
    assert state.stdout.strip() == "active"


def edge_trouble(lab: labs.LabInfo, since: float) -> list[str]:
    """The edge's log lines since then but its answers 200: its errors, warnings and failed
    answers, for an assertion's message."""
    log = ssh(lab, "s1", f"docker logs --since {since:.3f} dockyard-edge 2>&1")
    return [line[:600] for line in log.stdout.splitlines() if '"status":200' not in line][-40:]


def engine_stopped_and_back(
    lab: labs.LabInfo, node: str, seconds: float = 90
) -> tuple[float, float]:
    """The node's engine stopped (its tasks stop with it): Swarm starts them on the other
    nodes; then started again, the node is back in the swarm. (when the stop began, when the
    engine was gone)"""
    began = time.time()
    assert ssh(lab, node, ENGINE_STOP).returncode == 0
    gone = time.time()
    tasks = (
        "docker service ps demo_web -f desired-state=running --format '{{.Node}} {{.CurrentState}}'"
    )
    deadline, said = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        said = ssh(lab, "s1", tasks).stdout.splitlines()
        running = [t for t in said if t.split()[1:2] == ["Running"] and t.split()[0] != node]
        if len(running) == 3 and len(said) == 3:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"demo_web did not leave {node}, its engine stopped: {said}")
    assert ssh(lab, node, ENGINE_START).returncode == 0
    ready = f"docker node inspect -f '{{{{.Status.State}}}}' {node}"
    wait_for(lab, ready, "ready", seconds)
    return began, gone
