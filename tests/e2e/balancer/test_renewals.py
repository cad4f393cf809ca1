"""Certificate renewals at the edges without dockyard (proxy/ssl: true, two edges): after one
deploy and no dockyard command, both edges renew on their own, whichever edge the CA's
validation reaches, and keep presenting a valid certificate under a light HTTPS load.

pebble issues certificates valid for VALIDITY s, so the first edge renews about every 40 s
(renewal window a third of the lifetime) and the second about 45 s after its last one (a
quarter). The name resolves to the first edge, then, once the second edge has renewed, to the
second edge first: each edge gets one renewal validated on itself and one validated on the
other edge, which passes the challenge on (the first edge's renewal through the second is
what failed before: the second answered it with its redirect to HTTPS).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
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


def test_both_edges_renew_on_their_own_whichever_edge_the_validation_reaches(
    lab: labs.LabInfo, app: Path, acme: Pebble
) -> None:
    _, *edges = lab.servers
    cafile = str(app / "ca.pem")
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    deployed = time.time()
    first = [presented(e.ip, cafile) for e in edges]
    assert first[0] == first[1]  # one certificate, the first edge's, on both
    acme.resolve(HOST, [edges[0].ip, edges[1].ip])  # the first edge's address first
    serials: list[list[str]] = [[first[0][0]], [first[1][0]]]
    failed_checks: list[str] = []
    loads = [Load(e.ip, HOST, max_seconds=DEADLINE + 30, cafile=cafile) for e in edges]
    for load in loads:
        load.__enter__()
    try:
        flipped = False
        deadline = time.monotonic() + DEADLINE
        while min(len(s) for s in serials) <= RENEWALS and time.monotonic() < deadline:
            for seen, edge in zip(serials, edges, strict=True):
                try:
                    serial, _ = presented(edge.ip, cafile)
                except (OSError, ssl.SSLError) as error:
                    failed_checks.append(f"{time.time():.1f} {edge.ip}: {error}")
                    continue
                if serial != seen[-1]:
                    seen.append(serial)
            if not flipped and len(serials[1]) > 1:  # the second edge renewed: its address first
                acme.resolve(HOST, [edges[1].ip, edges[0].ip])
                flipped = True
            time.sleep(0.5)
    finally:
        for load in loads:
            load.__exit__(None, None, None)
    took = time.time() - deployed
    logs = [ssh(lab, e.name, "docker logs dockyard-edge 2>&1").stdout for e in edges]
    ok, failed = sum(load.ok for load in loads), [f for load in loads for f in load.failures]
    print(
        f"renewals without dockyard in {took:.0f} s: serials {serials}; {ok} HTTPS requests "
        f"through both edges, {len(failed)} failed; {len(failed_checks)} failed checks"
    )
    assert all(len(s) > RENEWALS for s in serials), (serials, took)
    assert failed_checks == [] and failed == [], (failed_checks, failed)
    assert all(load.ok > 0 for load in loads)
    # every order succeeded at its first attempt: no challenge failed on either edge
    for log in logs:
        assert "challenge failed" not in log and "could not get certificate" not in log
        assert log.count('"msg":"certificate renewed successfully"') >= RENEWALS
    # each edge answered its renewals' validations both when the CA reached it (pebble's
    # address) and when the other edge passed them on (that edge's address)
    va = gateway(lab)
    for log, other in ((logs[0], edges[1]), (logs[1], edges[0])):
        peers = served_to(log, deployed)
        assert {va, other.ip} <= set(peers), (peers, served_to(log, 0))
