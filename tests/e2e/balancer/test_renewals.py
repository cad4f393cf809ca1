"""Certificate renewals at the edges without dockyard (proxy/ssl: true, two edges): after one
deploy and no dockyard command, the first edge renews, and its renewal reaches the second edge
(the certificate mover, commands/edge_mover.py, which cron runs every minute: run here every
2 s, as the certificates last VALIDITY s), which serves it from its own renewal window on and
orders nothing: both edges present the same certificates, in the same order, under a light
HTTPS load. With the first edge's Caddy down, the second renews on its own; its renewal reaches
the first, which serves it when it starts again.

pebble issues certificates valid for VALIDITY s, so the first edge renews about every 40 s
(renewal window a third of the lifetime) and the second's window opens 5 s later (a quarter).
The name resolves to the first edge, then to the second first: a renewal of the first edge is
validated on itself, then on the second edge, which passes the challenge on (what failed
before: the second answered it with its redirect to HTTPS).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import dockyard
from ..deploy.conftest import ssh
from ..deploy.harness import Load
from ..labs import group, running
from .pebble import Pebble

pytestmark = [pytest.mark.e2e, group("lb-renew-docker")]

HOST = "demo.test"
VALIDITY = 60  # seconds
RENEWALS = 2  # per edge
DEADLINE = 150.0  # seconds after the deploy for RENEWALS renewals of each edge


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("lb-renew-docker", "docker", servers=3) as info:
        yield info


def gateway(lab: labs.LabInfo) -> str:
    return lab.registry.rsplit(":", 1)[0]


@pytest.fixture(scope="module")
def acme(lab: labs.LabInfo) -> Iterator[Pebble]:
    edges = lab.servers[1:]
    names = {HOST: [edges[1].ip, edges[0].ip]}
    with Pebble(gateway(lab), names, VALIDITY, reuse=False) as ca:  # every order validated
        yield ca


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, acme: Pebble, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lb-renew-app")
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text(
        f'REGISTRY_PASSWORD=lab\nACME_ROOT="{acme.listener_pem}"\n'
    )
    (root / "ca.pem").write_text(acme.root_pem())
    web, *edges = lab.servers
    (root / "config" / "deploy.yml").write_text(f"""service: demo
image: demo
servers: [{web.ip}]
proxy:
  host: {HOST}
  ssl: true
  healthcheck: {{path: /up, interval: 1}}
registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
env: {{clear: {{SERVICE: demo}}}}
ssh: {{config: {lab.ssh_config}}}
builder: {{arch: amd64}}
readiness_delay: 1
deploy_timeout: 15
x-dockyard:
  runtime: docker
  proxy: {{image: {lab.images["proxy"]}}}
  load_balancer:
    hosts: [{edges[0].ip}, {edges[1].ip}]
    acme_ca: '{acme.directory}'
    acme_ca_root: ACME_ROOT
    renew_interval: 1
""")
    return root


def presented(ip: str, cafile: str) -> tuple[str, str]:
    """(serial, notAfter) of the certificate the edge presents for the name, verified against
    pebble's root now (an expired one raises)."""
    context = ssl.create_default_context(cafile=cafile)
    with (
        socket.create_connection((ip, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        found = tls.getpeercert()
    assert found is not None
    return str(found["serialNumber"]), str(found["notAfter"])


def served_to(log: str, since: float) -> list[str]:
    """The peers (IP addresses) this edge's Caddy served key authentications to after `since`."""
    entries = [json.loads(line) for line in log.splitlines() if "served key authentication" in line]
    return [e["remote"].rsplit(":", 1)[0] for e in entries if e["ts"] >= since]


def move(lab: labs.LabInfo, edge: labs.HostInfo) -> None:
    """The edge's certificate mover, as its cron line runs it every minute."""
    done = ssh(lab, edge.name, "cd .dockyard/edge && timeout 50 bash mover.sh >> mover.log 2>&1")
    assert done.returncode == 0, done.stderr


def watch(
    lab: labs.LabInfo, edges: list[labs.HostInfo], cafile: str, serials: list[list[str]],
    until: Callable[[], bool], seconds: float, on_renewal: Callable[[], None] = lambda: None,
) -> list[str]:  # fmt: skip
    """Each edge's presented serial appended when it changes, every 0.5 s, the movers run every
    2 s, until `until()` or `seconds`; the checks that failed."""
    failed: list[str] = []
    deadline, moved = time.monotonic() + seconds, 0.0
    while not until() and time.monotonic() < deadline:
        for seen, edge in zip(serials, edges, strict=True):
            try:
                serial, _ = presented(edge.ip, cafile)
            except (OSError, ssl.SSLError) as error:
                failed.append(f"{time.time():.1f} {edge.ip}: {error}")
                continue
            if serial != seen[-1]:
                seen.append(serial)
                on_renewal()
        if time.monotonic() - moved > 2:
            for edge in edges:
                move(lab, edge)
            moved = time.monotonic()
        time.sleep(0.5)
    return failed


def orders(log: str) -> int:
    return log.count('"msg":"certificate renewed successfully"') + log.count(
        '"msg":"certificate obtained successfully"'
    )


def test_the_first_edges_renewals_reach_the_second_which_orders_none(
    lab: labs.LabInfo, app: Path, acme: Pebble
) -> None:
    _, *edges = lab.servers
    cafile = str(app / "ca.pem")
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    deployed = time.time()
    for e in edges:  # cron runs each edge's mover every minute
        assert "bash mover.sh" in ssh(lab, e.name, "crontab -l").stdout
    first = [presented(e.ip, cafile) for e in edges]
    assert first[0] == first[1]  # one certificate, the first edge's, on both
    copy_orders = orders(ssh(lab, edges[1].name, "docker logs dockyard-edge 2>&1").stdout)
    acme.resolve(HOST, [edges[0].ip, edges[1].ip])  # the first edge's address first
    serials: list[list[str]] = [[first[0][0]], [first[1][0]]]

    def flip() -> None:  # after the first renewal, the second edge's address first
        acme.resolve(HOST, [edges[1].ip, edges[0].ip])

    def caught_up() -> bool:
        return len(serials[0]) > RENEWALS and serials[1] == serials[0]

    loads = [Load(e.ip, HOST, max_seconds=DEADLINE + 30, cafile=cafile) for e in edges]
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        failed_checks = watch(lab, edges, cafile, serials, caught_up, DEADLINE, flip)
    took = time.time() - deployed
    logs = [ssh(lab, e.name, "docker logs dockyard-edge 2>&1").stdout for e in edges]
    moved = ssh(lab, edges[1].name, "cat .dockyard/edge/mover.log").stdout
    ok, failed = sum(load.ok for load in loads), [f for load in loads for f in load.failures]
    print(f"renewals without dockyard in {took:.0f} s: serials {serials}; {ok} HTTPS requests "
          f"through both edges, {len(failed)} failed; {len(failed_checks)} failed checks; "
          f"the second edge's mover: {moved!r}")  # fmt: skip
    assert caught_up(), (serials, took)  # the second presents the first's renewals, in order
    assert failed_checks == [] and failed == [], (failed_checks, failed)
    assert all(load.ok > 0 for load in loads)
    assert moved.count("the other edge's") == RENEWALS, moved
    assert orders(logs[1]) == copy_orders  # the second edge ordered nothing
    assert orders(logs[0]) >= RENEWALS
    assert "challenge failed" not in logs[0] and "could not get certificate" not in logs[0]
    # the first edge answered its renewals' validations both when the CA reached it (pebble's
    # address) and when the second edge passed them on (that edge's address)
    peers = served_to(logs[0], deployed)
    assert {gateway(lab), edges[1].ip} <= set(peers), (peers, served_to(logs[0], 0))


def test_with_the_first_edge_down_the_second_renews_and_the_first_serves_that_when_back(
    lab: labs.LabInfo, app: Path, acme: Pebble
) -> None:
    _, *edges = lab.servers
    cafile = str(app / "ca.pem")
    before = [orders(ssh(lab, e.name, "docker logs dockyard-edge 2>&1").stdout) for e in edges]
    assert ssh(lab, edges[0].name, "docker stop dockyard-edge").returncode == 0
    acme.resolve(HOST, [edges[1].ip])
    serials = [[presented(edges[1].ip, cafile)[0]]]
    with Load(edges[1].ip, HOST, max_seconds=90, cafile=cafile) as load:
        failed_checks = watch(lab, edges[1:], cafile, serials, lambda: len(serials[0]) > 1, 75)
    assert len(serials[0]) > 1, serials  # it renewed on its own
    assert failed_checks == [] and load.failures == [] and load.ok > 0, (failed_checks, load)
    logs = ssh(lab, edges[1].name, "docker logs dockyard-edge 2>&1").stdout
    assert orders(logs) > before[1]
    # the first edge's mover runs with its Caddy down (cron, on the host): then its Caddy
    # starts with the second's renewal in its storage, and serves it without an order
    move(lab, edges[0])
    assert ssh(lab, edges[0].name, "docker start dockyard-edge").returncode == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if presented(edges[0].ip, cafile)[0] == serials[0][-1]:
                break
        except (OSError, ssl.SSLError):
            pass
        time.sleep(0.5)
    assert presented(edges[0].ip, cafile)[0] == serials[0][-1]
    logs = ssh(lab, edges[0].name, "docker logs dockyard-edge 2>&1").stdout
    assert orders(logs) == before[0]
