"""`dockyard swarm ...` on a 3-server lab with Docker: two servers in two swarms are refused
before anything changes; setup forms one swarm of three managers and the app's attachable
overlay network, and a second run changes nothing; the stack file `swarm stack` prints deploys
the app without dockyard (the eject path): three healthy tasks that take their env from the
Swarm secret, reached as tasks.<stack>_web on the overlay (dnsrr: no IPVS needed); `swarm
`dockyard deploy` (backend: swarm) rolls versions out under the deploy lock between the hooks and
fails, naming the cause, when Swarm rolled an unhealthy one back (the version before still
serves); `rollback VERSION` goes two versions back; `app scale web=6` and back to 3; and all of
it (5 rolling updates, a drained node too) under load through dockyard's Caddy edge on the
overlay network without a failed request."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..deploy.conftest import ssh
from ..deploy.harness import Load, dockyard, get, write_app
from ..labs import group, running

pytestmark = [pytest.mark.e2e, group("swarm-docker")]

SWARM = "\n  backend: swarm\n  swarm:\n    monitor: 2\n"  # each new task watched 2 s (default 5)
HOOKS_LOG = "hooks.log"  # in the app's directory


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("swarm-docker", "docker", servers=3) as info:
        yield info


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_app(tmp_path_factory.mktemp("swarm"), lab)
    config = root / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("\nx-dockyard:\n", "\nx-dockyard:" + SWARM))
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


def rolled_out_and_back(lab: labs.LabInfo, app: Path) -> None:
    """v2, v3 (v2's image under another tag), an unhealthy version Swarm rolls back (the
    deploy fails naming the cause), then `rollback v1`: two versions back."""
    s1 = lab.servers[0].ip
    assert f"  {s1}: demo_web: updated\n" in run(app, "deploy", "-P", "--version", "v2")
    image = f"{lab.registry_host}/demo"
    ssh(lab, "s1", f"docker tag {image}:v2 {image}:v3 && docker push -q {image}:v3")
    assert f"  {s1}: demo_web: updated\n" in run(app, "deploy", "-P", "--version", "v3")
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
