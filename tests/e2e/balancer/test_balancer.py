"""Load balancer edges on the lab (issue 14): two edges in front of three web hosts (Docker);
continuous load through both edges, keep-alive and new-connection clients, and not one failed
request through redeploys, a drain and undrain, and a web host's proxy stopped and started."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import dockyard
from ..deploy.harness import Load, get
from ..labs import group, running

pytestmark = [pytest.mark.e2e, group("lb-docker")]

REDEPLOYS = 4


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("lb-docker", "docker", servers=5) as info:
        yield info


def web_and_edges(lab: labs.LabInfo) -> tuple[list[labs.HostInfo], list[labs.HostInfo]]:
    return lab.servers[:3], lab.servers[3:]


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lb-app")
    web, edges = web_and_edges(lab)
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    hosts = "\n".join(f"  - {h.ip}" for h in web)
    (root / "config" / "deploy.yml").write_text(f"""service: demo
image: demo
servers:
{hosts}
proxy:
  host: demo.test
  healthcheck: {{path: /up, interval: 1}}
registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
env: {{clear: {{SERVICE: demo}}}}
ssh: {{config: {lab.ssh_config}}}
builder: {{arch: amd64}}
readiness_delay: 1
deploy_timeout: 15
drain_timeout: 10
x-dockyard:
  proxy: {{image: {lab.images["proxy"]}}}
  load_balancer: {{hosts: [{edges[0].ip}, {edges[1].ip}]}}
""")
    return root


def through_edges(lab: labs.LabInfo) -> set[str]:
    _, edges = web_and_edges(lab)
    return {get(e.ip, "demo.test")[1].strip() for e in edges}


def test_a_deploy_boots_the_edges_and_they_serve_the_app_from_the_web_hosts(
    lab: labs.LabInfo, app: Path
) -> None:
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    web, edges = web_and_edges(lab)
    for e in edges:
        assert f"  [{e.ip}] edge updated" in done.stdout, done.stdout
    deadline = time.monotonic() + 10
    while through_edges(lab) != {"hello from demo v1"} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert through_edges(lab) == {"hello from demo v1"}
    again = dockyard(app, "lb", "boot")  # nothing changed: nothing loaded
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == [f"{e.ip}: edge up to date" for e in edges]
    details = dockyard(app, "lb", "details", "--json")
    assert details.returncode == 0, details.stdout + details.stderr
    found = json.loads(details.stdout)
    for e in edges:
        assert set(found[e.ip]["upstreams"]) == {f"{h.ip}:80" for h in web}, found
        assert found[e.ip]["container"][0].startswith("dockyard-edge "), found


def test_redeploys_and_a_drain_through_both_edges_fail_no_request(
    lab: labs.LabInfo, app: Path
) -> None:
    web, edges = web_and_edges(lab)
    loads = [
        Load(e.ip, "demo.test", keep_alive=kept, max_seconds=600)
        for e in edges
        for kept in (True, False)
    ]
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        for version in ["v2", "v1"] * (REDEPLOYS // 2):
            done = dockyard(app, "deploy", "-P", "--version", version)
            assert done.returncode == 0, done.stdout + done.stderr
        started = time.monotonic()
        drained = dockyard(app, "lb", "drain", web[1].ip)
        drain_seconds = time.monotonic() - started
        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert drained.stdout.strip() == f"{web[1].ip}: drained: no edge sends it requests"
        served = sum(load.ok for load in loads)
        time.sleep(1)
        assert sum(load.ok for load in loads) > served  # the other two hosts serve meanwhile
        undrained = dockyard(app, "lb", "undrain", web[1].ip)
        assert undrained.returncode == 0, undrained.stdout + undrained.stderr
        time.sleep(1.5)
    ok, failed = sum(load.ok for load in loads), [f for load in loads for f in load.failures]
    print(f"through 2 edges, 1 keep-alive + 1 new-connection client each, {REDEPLOYS} "
          f"redeploys, a drain ({drain_seconds:.2f} s) and undrain: {ok} answered, "
          f"{len(failed)} failed")  # fmt: skip
    assert failed == []
    for load in loads:
        assert load.ok > 10 * REDEPLOYS
        assert load.bodies == {"hello from demo v1", "hello from demo v2"}


def test_a_web_hosts_proxy_stopped_and_started_fails_no_request(
    lab: labs.LabInfo, app: Path
) -> None:
    web, edges = web_and_edges(lab)
    loads = [Load(e.ip, "demo.test", keep_alive=kept, max_seconds=120) for e in edges
             for kept in (True, False)]  # fmt: skip
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        time.sleep(0.5)
        stopped = dockyard(app, "proxy", "stop", "-h", web[0].ip)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        time.sleep(2)
        started = dockyard(app, "proxy", "start", "-h", web[0].ip)
        assert started.returncode == 0, started.stdout + started.stderr
        time.sleep(2)
    ok, failed = sum(load.ok for load in loads), [f for load in loads for f in load.failures]
    print(f"a web host's proxy stopped for 2 s under load through 2 edges: {ok} answered, "
          f"{len(failed)} failed")  # fmt: skip
    assert failed == []
    assert all(load.ok > 10 for load in loads)
