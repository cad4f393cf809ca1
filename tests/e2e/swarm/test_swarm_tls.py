"""TLS at the swarm's edges (issue 17) on a 3-node Docker swarm, with two edges (s1, s2, the
load balancer's hosts): `proxy/ssl: true` gets one certificate by ACME from a real ACME server
(Debian's pebble on the lab's gateway; the app's name resolves to s2 first, so pebble's
validation reaches the second edge, which passes it on to the first, the one that orders),
served by both edges, plain HTTP redirected; a rolling update under HTTPS load through both
edges (a keep-alive and a new-connection client each, the certificate verified) fails no
request; then a custom certificate from the secrets replaces it on both edges."""

from __future__ import annotations

import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..balancer.pebble import Pebble
from ..deploy.conftest import ssh
from ..deploy.harness import Load, connection, dockyard, plain_redirect, write_app
from ..labs import group, running

pytestmark = [pytest.mark.e2e, group("swarm-tls-docker")]

HOST = "demo.test"
OBTAINED = '"msg":"certificate obtained successfully"'
RENEWED = '"msg":"certificate renewed successfully"'
# seconds pebble's certificates last: the first edge renews with a third left (about 67 s after
# its order), the other with a quarter left (75 s), after the rolling update's test
VALIDITY = 100


@pytest.fixture(scope="module")
def lab() -> Iterator[labs.LabInfo]:
    with running("swarm-tls-docker", "docker", servers=3) as info:
        yield info


def edges(lab: labs.LabInfo) -> list[labs.HostInfo]:
    return lab.servers[:2]


@pytest.fixture(scope="module")
def acme(lab: labs.LabInfo) -> Iterator[Pebble]:
    first, second = edges(lab)
    gateway = lab.registry.rsplit(":", 1)[0]
    with Pebble(gateway, {HOST: [second.ip, first.ip]}, validity=VALIDITY, reuse=False) as ca:
        yield ca


def settings(lab: labs.LabInfo, extra: str = "") -> str:
    first, second = edges(lab)
    return (
        "\n  backend: swarm\n  swarm:\n    monitor: 2\n"
        f"  load_balancer: {{hosts: [{first.ip}, {second.ip}]{extra}}}\n"
    )


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, acme: Pebble, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_app(tmp_path_factory.mktemp("swarm-tls"), lab)
    key, cert = root / "key.pem", root / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)  # fmt: skip
    with (root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write(
            f'DEMO_CERT="{cert.read_text()}"\nDEMO_KEY="{key.read_text()}"\n'
            f'ACME_ROOT="{acme.listener_pem}"\n'
        )
    (root / "ca.pem").write_text(acme.root_pem())
    config = root / "config" / "deploy.yml"
    extra = f", acme_ca: '{acme.directory}', acme_ca_root: ACME_ROOT, renew_interval: 1"
    text = config.read_text().replace("\nx-dockyard:\n", "\nx-dockyard:" + settings(lab, extra))
    config.write_text(text.replace(f"  host: {HOST}\n", f"  host: {HOST}\n  ssl: true\n"))
    return root


def run(app: Path, *args: str) -> str:
    done = dockyard(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def https_get(ip: str, cafile: str) -> tuple[str, bytes]:
    """(body, the certificate presented in DER), verified against `cafile` for HOST."""
    conn = connection(ip, HOST, cafile)
    try:
        conn.request("GET", "/", headers={"Host": HOST})
        body = conn.getresponse().read().decode(errors="replace").strip()
        assert isinstance(conn.sock, ssl.SSLSocket)
        return body, conn.sock.getpeercert(binary_form=True) or b""
    finally:
        conn.close()


def served(lab: labs.LabInfo, cafile: str, body: str) -> list[bytes]:
    """Each edge's certificate, once each answers `body` over HTTPS (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            answers = [https_get(e.ip, cafile) for e in edges(lab)]
            if {b for b, _ in answers} == {body} or time.monotonic() > deadline:
                assert {b for b, _ in answers} == {body}, answers
                return [der for _, der in answers]
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def test_setup_gets_one_certificate_by_acme_that_both_edges_serve(
    lab: labs.LabInfo, app: Path
) -> None:
    out = run(app, "setup", "-P", "--version", "v1")
    for e in edges(lab):
        assert f"{e.ip}: edge started or updated" in out, out
    certificates = served(lab, str(app / "ca.pem"), "hello from demo v1")  # pebble's root
    assert certificates[0] and certificates[0] == certificates[1]
    logs = [ssh(lab, e.name, "docker logs dockyard-edge 2>&1").stdout for e in edges(lab)]
    assert OBTAINED in logs[0] and OBTAINED not in logs[1] and '"msg":"obtaining' not in logs[1]
    # pebble validated on the second edge (the name's first address), which passed it on
    assert "served key authentication" in logs[0]
    for e in edges(lab):
        assert plain_redirect(e.ip, HOST) == (308, f"https://{HOST}/x")
    assert run(app, "deploy", "-P", "--version", "v1").count("edge up to date") == 2


def test_a_rolling_update_under_https_load_through_both_edges_fails_no_request(
    lab: labs.LabInfo, app: Path
) -> None:
    cafile = str(app / "ca.pem")
    before = served(lab, cafile, "hello from demo v1")
    loads = [Load(e.ip, HOST, keep_alive=kept, max_seconds=120, cafile=cafile)
             for e in edges(lab) for kept in (True, False)]  # fmt: skip
    started = time.monotonic()
    for load in loads:
        load.__enter__()
    try:
        assert f"  {lab.servers[0].ip}: demo_web: updated\n" in run(
            app, "deploy", "-P", "--version", "v2"
        )
        while time.monotonic() - started < 3:  # every client past the update's end
            time.sleep(0.2)
    finally:
        for load in loads:
            load.__exit__()
    for load in loads:
        assert load.failures == [] and load.ok > 50, (load.ip, load.ok, load.failures[:5])
        assert load.bodies == {"hello from demo v1", "hello from demo v2"}, load.bodies
    print(f"HTTPS through both edges across the update: {sum(x.ok for x in loads)} answered")
    assert served(lab, cafile, "hello from demo v2") == before  # the same certificate kept


def test_each_edge_renews_on_its_own_and_serves_a_valid_certificate_throughout(
    lab: labs.LabInfo, app: Path
) -> None:
    """No dockyard command: each edge's Caddy renews when its window opens, validated through
    either edge (pebble validates every order here), a new-connection client through each
    edge verifying the certificate all along."""
    cafile = str(app / "ca.pem")
    first = served(lab, cafile, "hello from demo v2")
    loads = [Load(e.ip, HOST, max_seconds=VALIDITY, cafile=cafile) for e in edges(lab)]
    deadline = time.monotonic() + VALIDITY
    for load in loads:
        load.__enter__()
    try:
        now = first
        while any(a == b for a, b in zip(now, first, strict=True)):
            assert time.monotonic() < deadline, "an edge did not renew its certificate"
            time.sleep(0.5)
            now = served(lab, cafile, "hello from demo v2")
    finally:
        for load in loads:
            load.__exit__()
    for load in loads:
        assert load.failures == [] and load.ok > 50, (load.ip, load.ok, load.failures[:5])
    logs = [ssh(lab, e.name, "docker logs dockyard-edge 2>&1").stdout for e in edges(lab)]
    assert RENEWED in logs[0]
    renewed = ("already renewed in storage", RENEWED)  # a copy found, or its own order
    assert any(said in logs[1] for said in renewed), logs[1][-2000:]
    how = [said for said in renewed if said in logs[1]]
    print(f"renewals: {sum(x.ok for x in loads)} HTTPS answers meanwhile; second edge: {how}")


def test_a_custom_certificate_from_the_secrets_replaces_it_on_both_edges(
    lab: labs.LabInfo, app: Path
) -> None:
    config = app / "config" / "deploy.yml"
    custom = "ssl: {certificate_pem: DEMO_CERT, private_key_pem: DEMO_KEY}"
    config.write_text(config.read_text().replace("  ssl: true\n", f"  {custom}\n"))
    run(app, "deploy", "-P", "--version", "v2")
    certificates = served(lab, str(app / "cert.pem"), "hello from demo v2")  # self-signed
    pem = ssl.PEM_cert_to_DER_cert((app / "cert.pem").read_text())
    assert certificates == [pem, pem]
    for e in edges(lab):
        mode = ssh(lab, e.name, "stat -c %a .dockyard/edge/certs/demo-web.pem").stdout.strip()
        assert mode == "600"
        assert plain_redirect(e.ip, HOST) == (308, f"https://{HOST}/x")
