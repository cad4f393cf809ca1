"""Load balancer edges on the lab (issue 14): two edges in front of three web hosts (Docker and
Podman), HTTPS at the edges with one certificate by ACME from a real ACME server (pebble, on the
lab's gateway; the app's name resolves to both edges, the second first, so the challenge is
passed on); continuous load through both edges, keep-alive and new-connection clients, and not
one failed request through redeploys, a drain and undrain, a web host's proxy stopped and
started, its engine stopped and started (Docker), its link cut and restored, and (for the other
edge's clients) an edge's link cut. With Docker, the floating address of the docs' keepalived
config moves to the other edge when its edge's link is cut or its Caddy stopped. A custom
certificate from the secrets replaces the ACME one at the end."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import dockyard
from ..deploy.conftest import ssh
from ..deploy.harness import (
    Load,
    connection,
    cut_link,
    get,
    plain_redirect,
    upgrade_to_websocket,
)
from ..labs import engine_params, running
from .pebble import Pebble

pytestmark = [pytest.mark.e2e]

REDEPLOYS = 5
HOST = "demo.test"


@pytest.fixture(scope="module", params=engine_params("lb"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"lb-{request.param}", request.param, servers=6) as info:
        yield info


def web_and_edges(lab: labs.LabInfo) -> tuple[list[labs.HostInfo], list[labs.HostInfo]]:
    return lab.servers[:3], lab.servers[3:5]


def spare(lab: labs.LabInfo) -> labs.HostInfo:
    """The server added to the web hosts and removed again (its app says "demo-added")."""
    return lab.servers[5]


@pytest.fixture(scope="module")
def acme(lab: labs.LabInfo) -> Iterator[Pebble]:
    _, edges = web_and_edges(lab)
    gateway = lab.registry.rsplit(":", 1)[0]
    with Pebble(gateway, {HOST: [edges[1].ip, edges[0].ip]}, validity=3600) as ca:
        yield ca


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, acme: Pebble, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lb-app")
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    key, cert = root / "key.pem", root / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)  # fmt: skip
    (root / ".kamal" / "secrets").write_text(
        f'REGISTRY_PASSWORD=lab\nDEMO_CERT="{cert.read_text()}"\nDEMO_KEY="{key.read_text()}"\n'
        f'ACME_ROOT="{acme.listener_pem}"\n'
    )
    (root / "ca.pem").write_text(acme.root_pem())
    write_config(lab, root, "ssl: true", f", acme_ca: '{acme.directory}', acme_ca_root: ACME_ROOT")
    return root


CUSTOM = "ssl: {certificate_pem: DEMO_CERT, private_key_pem: DEMO_KEY}"


def write_config(lab: labs.LabInfo, root: Path, ssl: str, acme: str, added: bool = False) -> None:
    web, edges = web_and_edges(lab)
    hosts = "\n".join(f"  - {h.ip}" for h in web)
    if added:
        hosts += f"\n  - {spare(lab).ip}: [added]"
    (root / "config" / "deploy.yml").write_text(f"""service: demo
image: demo
servers:
{hosts}
proxy:
  host: {HOST}
  {ssl}
  healthcheck: {{path: /up, interval: 1}}
registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
env: {{clear: {{SERVICE: demo}}, tags: {{added: {{SERVICE: demo-added}}}}}}
ssh: {{config: {lab.ssh_config}}}
builder: {{arch: amd64}}
readiness_delay: 1
deploy_timeout: 15
drain_timeout: 10
x-dockyard:
  runtime: {lab.engine}
  proxy: {{image: {lab.images["proxy"]}}}
  load_balancer: {{hosts: [{edges[0].ip}, {edges[1].ip}]{acme}}}
""")


def cafile(app: Path) -> str:
    """pebble's root, which the edges' certificate chains to (the custom certificate, once it
    replaces it at the end, is self-signed: its own trust anchor)."""
    return str(app / "ca.pem")


def https_get(ip: str, app: Path, path: str = "/") -> tuple[int, str, bytes]:
    """(status, body, the certificate presented in DER), verified against the custom one."""
    conn = connection(ip, HOST, cafile(app))
    try:
        conn.request("GET", path, headers={"Host": HOST})
        response = conn.getresponse()
        assert isinstance(conn.sock, ssl.SSLSocket)
        der = conn.sock.getpeercert(binary_form=True)
        return response.status, response.read().decode(errors="replace").strip(), der or b""
    finally:
        conn.close()


def through_edges(lab: labs.LabInfo, app: Path) -> set[str]:
    _, edges = web_and_edges(lab)
    return {https_get(e.ip, app)[1] for e in edges}


def loads_through(edges: list[labs.HostInfo], app: Path, seconds: float) -> list[Load]:
    """One keep-alive and one new-connection HTTPS client per edge."""
    return [Load(e.ip, HOST, keep_alive=kept, max_seconds=seconds, cafile=cafile(app))
            for e in edges for kept in (True, False)]  # fmt: skip


def outcome(loads: list[Load]) -> tuple[int, list[str]]:
    return sum(load.ok for load in loads), [f for load in loads for f in load.failures]


def test_a_deploy_boots_the_edges_and_they_serve_the_app_over_https_with_one_certificate(
    lab: labs.LabInfo, app: Path, acme: Pebble
) -> None:
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    web, edges = web_and_edges(lab)
    for e in edges:
        assert f"  [{e.ip}] edge updated" in done.stdout, done.stdout
    deadline = time.monotonic() + 10
    while through_edges(lab, app) != {"hello from demo v1"} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert through_edges(lab, app) == {"hello from demo v1"}
    # both edges present one certificate pebble issued (verified against its root, for the
    # name), ordered by the first edge only, through the second (where the name resolves first)
    certificates = [https_get(e.ip, app)[2] for e in edges]
    assert certificates[0] and certificates[0] == certificates[1]
    obtained = '"msg":"certificate obtained successfully"'
    logs = [ssh(lab, e.name, f"{lab.engine} logs dockyard-edge 2>&1").stdout for e in edges]
    assert obtained in logs[0] and obtained not in logs[1] and '"msg":"obtaining' not in logs[1]
    # pebble validated through the second edge (the name's first address), which passed the
    # challenge on: the first edge served it to a peer other than pebble's gateway address
    served = [
        json.loads(line) for line in logs[0].splitlines() if "served key authentication" in line
    ]
    gateway = lab.registry.rsplit(":", 1)[0]
    assert served and all(not s["remote"].startswith(f"{gateway}:") for s in served), served
    assert (
        "dockyard-edge-acme-challenges"
        in ssh(lab, edges[1].name, "cat .dockyard/edge/caddy.json").stdout
    )
    for e in edges:  # plain HTTP is redirected to HTTPS
        assert plain_redirect(e.ip, HOST) == (308, f"https://{HOST}/x")
    # the app sees the client first, then the edge, over HTTPS: the web hosts' proxies trust the
    # edges' X-Forwarded-* (the client here is this machine, on the lab's gateway address)
    gateway = lab.registry.rsplit(":", 1)[0]
    for e in edges:
        status, seen, _ = https_get(e.ip, app, "/cgi-bin/headers")
        assert status == 200, seen
        assert seen.splitlines() == [f"for={gateway}, {e.ip}", "proto=https", f"host={HOST}"]
    # a slow answer passes through whole (headers first, the body 3 s later)
    started = time.monotonic()
    status, slow, _ = https_get(edges[0].ip, app, "/cgi-bin/sleep?3")
    assert (status, slow) == (200, "hello from demo v1 after 3s")
    assert time.monotonic() - started >= 3
    for h in web:  # behind the edges the web hosts' proxies serve plain HTTP, no certificate
        assert get(h.ip, HOST)[1].strip() == "hello from demo v1"
        assert ssh(lab, h.name, "test -e .dockyard/proxy/certs/demo-web.pem").returncode == 1
    again = dockyard(app, "lb", "boot")  # nothing changed: nothing loaded
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == [f"{e.ip}: edge up to date" for e in edges]
    details = dockyard(app, "lb", "details", "--json")
    assert details.returncode == 0, details.stdout + details.stderr
    found = json.loads(details.stdout)
    for e in edges:
        assert set(found[e.ip]["upstreams"]) == {f"{h.ip}:80" for h in web}, found
        for address, upstream in found[e.ip]["upstreams"].items():
            assert upstream["health"] == {"demo-web": "healthy"}, (address, found)
        assert found[e.ip]["container"][0].startswith("dockyard-edge "), found


def test_redeploys_and_a_drain_through_both_edges_fail_no_request(
    lab: labs.LabInfo, app: Path
) -> None:
    web, edges = web_and_edges(lab)
    loads = loads_through(edges, app, 600)
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        for version in (["v2", "v1"] * REDEPLOYS)[:REDEPLOYS]:
            done = dockyard(app, "deploy", "-P", "--version", version)
            assert done.returncode == 0, done.stdout + done.stderr
        started = time.monotonic()
        drained = dockyard(app, "lb", "drain", web[1].ip)
        drain_seconds = time.monotonic() - started
        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert drained.stdout.strip() == f"{web[1].ip}: drained: no edge sends it requests"
        served = sum(load.ok for load in loads)
        details = dockyard(app, "lb", "details", "--json")  # what each edge's check sees now
        assert details.returncode == 0, details.stdout + details.stderr
        health = {
            edge: {a: u["health"] for a, u in found["upstreams"].items()}
            for edge, found in json.loads(details.stdout).items()
        }
        drained_too = {f"{h.ip}:80": {"demo-web": "healthy"} for h in web}
        drained_too[f"{web[1].ip}:80"] = {"demo-web": "drained"}
        assert health == {e.ip: drained_too for e in edges}, health
        time.sleep(1)
        assert sum(load.ok for load in loads) > served  # the other two hosts serve meanwhile
        undrained = dockyard(app, "lb", "undrain", web[1].ip)
        assert undrained.returncode == 0, undrained.stdout + undrained.stderr
        time.sleep(1.5)
    ok, failed = outcome(loads)
    print(f"{lab.engine}: HTTPS through 2 edges, 1 keep-alive + 1 new-connection client each, "
          f"{REDEPLOYS} redeploys, a drain ({drain_seconds:.2f} s) and undrain: {ok} answered, "
          f"{len(failed)} failed")  # fmt: skip
    assert failed == []
    for load in loads:
        assert load.ok > 10 * REDEPLOYS
        assert load.bodies == {"hello from demo v1", "hello from demo v2"}


def test_a_web_host_added_then_removed_through_both_edges_fails_no_request(
    lab: labs.LabInfo, app: Path, acme: Pebble
) -> None:
    """The edges learn the web hosts from the config: a fourth one added and deployed joins
    their pool, then removed and deployed leaves it, with no config load on the edges."""
    ssl_line, acme_part = "ssl: true", f", acme_ca: '{acme.directory}', acme_ca_root: ACME_ROOT"
    loads = loads_through(web_and_edges(lab)[1], app, 900)
    added = "hello from demo-added v2"
    loads_before = config_loads(lab)
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        write_config(lab, app, ssl_line, acme_part, added=True)
        done = dockyard(app, "deploy", "-P", "--version", "v2")
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 60
        while not all(added in load.bodies for load in loads) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert all(added in load.bodies for load in loads), [load.bodies for load in loads]
        details = dockyard(app, "lb", "details", "--json")
        assert details.returncode == 0, details.stdout + details.stderr
        assert f"{spare(lab).ip}:80" in details.stdout
        write_config(lab, app, ssl_line, acme_part)
        removed = dockyard(app, "deploy", "-P", "--version", "v2")
        assert removed.returncode == 0, removed.stdout + removed.stderr
        seen = [load.count(added) for load in loads]
        time.sleep(3)
        assert [load.count(added) for load in loads] == seen  # out of the pool
        unchanged = dockyard(app, "lb", "boot")
        assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    ok, failed = outcome(loads)
    print(f"HTTPS through 2 edges, a web host added and deployed, then removed and deployed: "
          f"{ok} answered, {sum(seen)} by the added host, {len(failed)} failed")  # fmt: skip
    assert failed == []
    assert config_loads(lab) == loads_before  # no edge loaded a config
    for edge in web_and_edges(lab)[1]:  # the pool is in the edge's hosts file, not its config
        assert spare(lab).ip not in ssh(lab, edge.name, "cat .dockyard/edge/caddy.json").stdout


def config_loads(lab: labs.LabInfo) -> list[int]:
    """How many configs each edge's Caddy loaded through its admin API so far."""
    command = "docker logs dockyard-edge 2>&1 | grep -c '\"load complete\"' || true"
    return [int(ssh(lab, e.name, command).stdout.strip()) for e in web_and_edges(lab)[1]]


def back_in_rotation(host: labs.HostInfo, timeout: float) -> float:
    """Seconds until the web host's proxy serves the app again, plus the edges' two passed
    checks (0.5 s apart)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if get(host.ip, HOST, timeout=1)[0] == 200:
                time.sleep(1.2)
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{host.ip} did not serve the app again within {timeout} s")


ENGINE_STOP = "pkill -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 0.1; done"
ENGINE_START = (
    "setsid nohup dockerd --config-file /etc/docker/daemon.json >/dev/null 2>&1 < /dev/null &"
)


def test_a_web_hosts_proxy_engine_and_link_lost_and_back_fail_no_request(
    lab: labs.LabInfo, app: Path
) -> None:
    web, edges = web_and_edges(lab)
    loads = loads_through(edges, app, 300)
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        time.sleep(0.5)
        stopped = dockyard(app, "proxy", "stop", "-h", web[0].ip)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        time.sleep(2)
        started = dockyard(app, "proxy", "start", "-h", web[0].ip)
        assert started.returncode == 0, started.stdout + started.stderr
        back_in_rotation(web[0], 20)
        after_proxy = outcome(loads)
        # the engine: its containers stop with it; started again, they come back (restart
        # policies) and the edges take the host back once its checks pass (Podman runs no
        # daemon whose stop stops its containers)
        engine_back = 0.0
        if lab.engine == "docker":
            assert ssh(lab, web[1].name, ENGINE_STOP).returncode == 0
            time.sleep(1)
            assert ssh(lab, web[1].name, ENGINE_START).returncode == 0
            engine_back = back_in_rotation(web[1], 60)
        after_engine = outcome(loads)
        # the link: silence, no reset; requests in flight there finish once it is back
        subprocess.run(cut_link(lab, web[2].name, "down").split(), check=True)
        try:
            time.sleep(2)
        finally:
            subprocess.run(cut_link(lab, web[2].name, "up").split(), check=True)
        back_in_rotation(web[2], 20)
    ok, failed = outcome(loads)
    print(f"{lab.engine}: HTTPS through 2 edges: a web host's proxy stopped for 2 s "
          f"({after_proxy[0]} answered, {len(after_proxy[1])} failed); another's engine "
          "stopped and started "
          f"(back in {engine_back:.1f} s; {after_engine[0]} answered, {len(after_engine[1])} "
          f"failed so far); a third's link cut for 2 s: {ok} answered, {len(failed)} failed "
          "in all")  # fmt: skip
    assert failed == []
    assert all(load.ok > 10 for load in loads)


def test_losing_one_edge_fails_no_request_of_the_others_clients(
    lab: labs.LabInfo, app: Path
) -> None:
    _, edges = web_and_edges(lab)
    loads = loads_through(edges[1:], app, 60)
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        time.sleep(0.5)
        subprocess.run(cut_link(lab, edges[0].name, "down").split(), check=True)
        try:
            before = [load.ok for load in loads]
            time.sleep(2)
            during = [load.ok - count for load, count in zip(loads, before, strict=True)]
        finally:
            subprocess.run(cut_link(lab, edges[0].name, "up").split(), check=True)
    ok, failed = outcome(loads)
    print(f"{lab.engine}: edge {edges[0].ip}'s link cut for 2 s: the other edge's clients: "
          f"{ok} answered ({during} while it was cut), {len(failed)} failed")  # fmt: skip
    assert failed == []
    assert all(count > 0 for count in during)  # each client was served while the edge was lost
    deadline = time.monotonic() + 10  # back with its link, once its checks pass again
    while https_get(edges[0].ip, app)[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert https_get(edges[0].ip, app)[0] == 200


def websocket_through(ip: str, app: Path) -> socket.socket:
    """A WebSocket over HTTPS through an edge (the handshake checked), as a raw byte stream."""
    tls = ssl.create_default_context(cafile=cafile(app))
    sock = tls.wrap_socket(socket.create_connection((ip, 443), timeout=10), server_hostname=HOST)
    return upgrade_to_websocket(sock, HOST)


def echoed(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    got = b""
    while len(got) < len(data) and (chunk := sock.recv(1024)):
        got += chunk
    return got


def test_a_websocket_passes_through_each_edge_over_https(lab: labs.LabInfo, app: Path) -> None:
    # the demo app's WebSocket variant (it answers any other request 200, /up too)
    done = dockyard(app, "deploy", "-P", "--version", "ws")
    assert done.returncode == 0, done.stdout + done.stderr
    _, edges = web_and_edges(lab)
    for e in edges:
        sock = websocket_through(e.ip, app)
        try:
            assert echoed(sock, b"through the edge") == b"through the edge"
            time.sleep(1)  # a long-lived stream: still open a second later
            assert echoed(sock, b"still open") == b"still open"
        finally:
            sock.close()
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr


DOCS = Path(__file__).parents[3] / "docs" / "load-balancing.md"


def keepalived_conf(interface: str, address: str) -> str:
    """docs/load-balancing.md's keepalived.conf, with the lab's interface and address."""
    text = DOCS.read_text()
    block = text[text.index("```conf\n") + len("```conf\n") :]
    conf = block[: block.index("```")]
    assert "eth0" in conf and "203.0.113.10/24" in conf, conf
    return conf.replace("eth0", interface).replace("203.0.113.10/24", address)


def floating_address(lab: labs.LabInfo) -> str:
    network = ipaddress.ip_network(lab.subnet)
    return str(network.network_address + 250)


def holders(lab: labs.LabInfo, address: str) -> list[str]:
    """The edges that hold the floating address now."""
    _, edges = web_and_edges(lab)
    found = [ssh(lab, e.name, "ip -o -4 addr show").stdout for e in edges]
    return [e.name for e, addrs in zip(edges, found, strict=True) if f" {address}/" in addrs]


def one_holder(lab: labs.LabInfo, address: str, within: float, not_on: str = "") -> str:
    """The one edge that holds the address (and not `not_on`) within `within` s."""
    deadline = time.monotonic() + within
    while (found := holders(lab, address)) != [h for h in found if h != not_on] or len(found) != 1:
        assert time.monotonic() < deadline, f"{address} held by {found} after {within} s"
        time.sleep(0.1)
    return found[0]


@pytest.fixture
def keepalived(lab: labs.LabInfo) -> Iterator[str]:
    """keepalived on both edges with the docs' config: the floating address."""
    _, edges = web_and_edges(lab)
    address, prefix = floating_address(lab), lab.subnet.split("/")[1]
    for e in edges:
        iface = ssh(lab, e.name, f"ip -o -4 addr show | awk '$4 ~ /^{e.ip}\\// {{print $2}}'")
        conf = keepalived_conf(iface.stdout.strip(), f"{address}/{prefix}")
        written = subprocess.run(["ssh", "-F", lab.ssh_config, e.name,
                                  "cat > /tmp/keepalived.conf"], input=conf, text=True)  # fmt: skip
        assert written.returncode == 0
        started = ssh(lab, e.name, "keepalived --vrrp -f /tmp/keepalived.conf "
                      "-p /run/keepalived.pid -r /run/keepalived-vrrp.pid")  # fmt: skip
        assert started.returncode == 0, started.stderr
    try:
        yield address
    finally:
        for e in edges:
            ssh(lab, e.name, "kill $(cat /run/keepalived.pid) 2>/dev/null; sleep 1; "
                f"ip -o -4 addr show | grep -q ' {address}/' && ip addr del {address}/{prefix} "
                "dev $(ip -o -4 addr show | awk '/ {address}\\// {{print $2}}'); true")  # fmt: skip


def progressed(loads: list[Load], within: float) -> float:
    """Seconds until every client had an answer after now (AssertionError after `within`)."""
    began, before = time.monotonic(), [load.ok for load in loads]
    while any(load.ok <= count for load, count in zip(loads, before, strict=True)):
        assert time.monotonic() - began < within, [load.failures for load in loads]
        time.sleep(0.05)
    return time.monotonic() - began


def test_a_floating_address_with_the_docs_keepalived_moves_to_the_other_edge(
    lab: labs.LabInfo, app: Path, keepalived: str
) -> None:
    if lab.engine != "docker":
        pytest.skip("the edges' network is the lab's: Docker's run shows it")
    address = keepalived
    first = one_holder(lab, address, 15)
    assert https_get(address, app)[0] == 200
    loads = [Load(address, HOST, keep_alive=kept, max_seconds=90, cafile=cafile(app))
             for kept in (True, False)]  # fmt: skip
    with ExitStack() as running_loads:
        for load in loads:
            running_loads.enter_context(load)
        progressed(loads, 5)
        cut = time.monotonic()
        subprocess.run(cut_link(lab, first, "down").split(), check=True)
        try:
            second = one_holder(lab, address, 10, not_on=first)
            moved = time.monotonic() - cut
            answered = progressed(loads, 15) + moved
        finally:
            subprocess.run(cut_link(lab, first, "up").split(), check=True)
        back = one_holder(lab, address, 10)  # the partition over: one holder again
        progressed(loads, 15)
    ok, failed = outcome(loads)
    print(f"floating {address}: {first}'s link cut, on {second} {moved:.1f} s later, both "
          f"clients answered {answered:.1f} s after the cut; {back} holds it once the link is "
          f"back; {ok} answered, {len(failed)} failed: {failed}")  # fmt: skip
    assert moved < 8  # 3 adverts of 1 s missed, the election, the polls over SSH: 5 s
    assert len(loads[0].failures) <= 2 and len(loads[1].failures) <= 1, failed
    # the holder's Caddy stopped: its check fails and the address moves, the server up
    stopped = time.monotonic()
    assert ssh(lab, back, "docker stop -t 5 dockyard-edge").returncode == 0
    try:
        other = one_holder(lab, address, 10, not_on=back)
        print(f"{back}'s edge stopped: the address on {other} "
              f"{time.monotonic() - stopped:.1f} s later")  # fmt: skip
        assert https_get(address, app)[0] == 200
    finally:
        assert ssh(lab, back, "docker start dockyard-edge").returncode == 0
    booted = dockyard(app, "lb", "boot")
    assert booted.returncode == 0, booted.stdout + booted.stderr


def edge_container_ids(lab: labs.LabInfo) -> list[str]:
    _, edges = web_and_edges(lab)
    inspect = f"{lab.engine} inspect --format '{{{{.Id}}}}' dockyard-edge 2>/dev/null || echo none"
    return [ssh(lab, e.name, inspect).stdout.strip() for e in edges]


def test_the_edges_logs_their_reboot_one_at_a_time_and_their_removal(
    lab: labs.LabInfo, app: Path
) -> None:
    _, edges = web_and_edges(lab)
    logged = dockyard(app, "lb", "logs", "-n", "3")
    assert logged.returncode == 0, logged.stdout + logged.stderr
    for e in edges:
        assert e.ip in logged.stdout, logged.stdout
    before = edge_container_ids(lab)
    rebooted = dockyard(app, "lb", "reboot", "-y")
    assert rebooted.returncode == 0, rebooted.stdout + rebooted.stderr
    assert rebooted.stdout.splitlines() == [f"{e.ip}: edge rebooted" for e in edges]
    after = edge_container_ids(lab)
    assert "none" not in after and not set(before) & set(after)  # both replaced
    deadline = time.monotonic() + 10  # the new containers serve once their checks pass
    while {https_get(e.ip, app)[0] for e in edges} != {200} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {https_get(e.ip, app)[0] for e in edges} == {200}
    # a custom certificate from the secrets instead: written to each edge (0600) and loaded
    write_config(lab, app, CUSTOM, "")
    custom = dockyard(app, "lb", "boot")
    assert custom.returncode == 0, custom.stdout + custom.stderr
    assert custom.stdout.splitlines() == [f"{e.ip}: edge updated" for e in edges]
    (app / "ca.pem").write_text((app / "cert.pem").read_text())  # self-signed: its own anchor
    expected = ssl.PEM_cert_to_DER_cert((app / "cert.pem").read_text())
    assert [https_get(e.ip, app)[2] for e in edges] == [expected, expected]
    for e in edges:
        mode = ssh(lab, e.name, "stat -c %a .dockyard/edge/certs/demo-web.pem").stdout.strip()
        assert mode == "600"
    assert (app / "key.pem").read_text().strip() not in custom.stdout + custom.stderr
    removed = dockyard(app, "lb", "remove", "-y")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert edge_container_ids(lab) == ["none", "none"]
    for e in edges:
        assert ssh(lab, e.name, "test -e .dockyard/edge").returncode == 1
