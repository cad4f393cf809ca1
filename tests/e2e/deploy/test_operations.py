"""Operating a deployed app on the lab: locks, maintenance, a second app on the same proxy,
restarts of the proxy and of the engine, and a deploy killed halfway."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import labelled_image
from .conftest import ssh
from .harness import SECRET_VALUE, Load, dockyard, get, upgrade_to_websocket, write_app

pytestmark = pytest.mark.e2e


def running_web(lab: labs.LabInfo, host: str, service: str = "demo") -> list[str]:
    listing = ssh(
        lab,
        host,
        f"{lab.engine} ps --filter label=service={service} --filter label=role=web "
        "--format '{{.Names}}'",
    )
    return sorted(listing.stdout.split())


def answers(lab: labs.LabInfo, host: str = "demo.test", timeout: float = 20) -> set[str]:
    """What each server answers for this host, waiting (bounded) for it to come back."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = {get(h.ip, host, timeout=3)[1].strip() for h in lab.servers}
            if not any(a.startswith(("No app", "<")) or not a for a in found):
                return found
        except OSError:
            found = set()
        if time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_redeploying_the_running_version_leaves_one_container(lab: labs.LabInfo, app: Path) -> None:
    for _ in range(2):
        done = dockyard(app, "deploy", "-P", "--version", "v1")
        assert done.returncode == 0, done.stdout + done.stderr
    for host in lab.servers:
        assert running_web(lab, host.name) == ["demo-web-v1"]
    assert answers(lab) == {"hello from demo v1"}


@pytest.mark.usefixtures("docker_only")
def test_a_manual_lock_refuses_deploys_and_says_who_and_why(lab: labs.LabInfo, app: Path) -> None:
    serving = answers(lab)
    assert dockyard(app, "lock", "acquire", "-m", "migrating the db").returncode == 0
    done = dockyard(app, "deploy", "-P", "--version", "v2")
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("ERROR (LockError): the deploy lock on")
    assert "migrating the db" in error and "dockyard lock release" in error
    refused = (("app", "stop"), ("proxy", "reboot", "-y"), ("prune", "all"),
               ("app", "remove", "-y"), ("remove", "-y"))  # fmt: skip
    for command in refused:
        done = dockyard(app, *command)  # what changes the servers takes the lock, as Kamal's
        assert done.returncode == 1, (command, done.stdout + done.stderr)
        assert done.stderr.strip().splitlines()[-1].startswith("ERROR (LockError): the deploy lock")
    assert answers(lab) == serving  # nothing was stopped
    assert "Locked: locked by" in dockyard(app, "lock", "status").stdout
    held = json.loads(dockyard(app, "lock", "status", "--json").stdout)
    assert held["message"] == "migrating the db" and held["pid"] == 0  # manual: no process
    assert dockyard(app, "lock", "release").returncode == 0
    assert dockyard(app, "lock", "status").stdout.strip() == "There is no deploy lock"
    assert json.loads(dockyard(app, "lock", "status", "--json").stdout) is None


@pytest.mark.usefixtures("docker_only")
def test_lock_wait_waits_for_a_running_deploy(lab: labs.LabInfo, app: Path) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "deploy", "-P", "--version", "v2"],
        cwd=app, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_lock(lab)
    second = dockyard(app, "deploy", "-P", "--version", "v1", "--lock-wait",
                      "--lock-wait-interval", "1", "--lock-wait-timeout", "60")  # fmt: skip
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert second.returncode == 0, second.stdout + second.stderr
    assert answers(lab) == {"hello from demo v1"}  # the waiting deploy ran last


def wait_for_lock(lab: labs.LabInfo, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while ssh(lab, lab.servers[0].name, "test -d .dockyard/lock-demo").returncode != 0:
        assert time.monotonic() < deadline, "the first deploy never took the lock"
        time.sleep(0.1)


def test_maintenance_then_live(lab: labs.LabInfo, app: Path) -> None:
    assert dockyard(app, "app", "maintenance", "--message", "back at 5").returncode == 0
    assert {get(h.ip, "demo.test") for h in lab.servers} == {(503, "back at 5")}
    assert dockyard(app, "app", "live").returncode == 0
    assert answers(lab) == {"hello from demo v1"}


def build_other_image(lab: labs.LabInfo) -> None:
    """The lab's WebSocket variant, labelled for a second service (Kamal checks the label)."""
    labelled_image(lab, "demo:ws", "other:v1", "other")


def deploy_other(lab: labs.LabInfo, root: Path) -> Path:
    """A second app, `other` (the WebSocket image) at other.test, deployed as v1."""
    build_other_image(lab)
    other = write_app(root, lab, service="other", host="other.test", image="other")
    done = dockyard(other, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    return other


def open_websocket(ip: str, host: str) -> socket.socket:
    """A WebSocket through the proxy (the handshake checked), as a raw byte stream."""
    return upgrade_to_websocket(socket.create_connection((ip, 80), timeout=10), host)


def echoes(sock: socket.socket, data: bytes) -> bool:
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(1024)
        if not chunk:
            return False
        got += chunk
    return got == data


def test_two_apps_share_the_proxy_and_a_deploy_keeps_the_others_websockets(
    lab: labs.LabInfo, app: Path, tmp_path: Path
) -> None:
    other = deploy_other(lab, tmp_path)
    assert answers(lab, "other.test") == {"hello from other ws"}
    assert answers(lab) == {"hello from demo v1"}
    websocket = open_websocket(lab.servers[0].ip, "other.test")
    try:
        assert echoes(websocket, b"before the deploy")
        done = dockyard(app, "deploy", "-P", "--version", "v2")  # the other app's deploy
        assert done.returncode == 0, done.stdout + done.stderr
        assert echoes(websocket, b"after the deploy")  # the stream survived the reload
    finally:
        websocket.close()
    done = dockyard(other, "remove", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "proxy kept for the other apps on it" in done.stdout
    assert {get(h.ip, "other.test")[0] for h in lab.servers} == {404}
    assert answers(lab) == {"hello from demo v2"}
    assert running_web(lab, lab.servers[0].name, "other") == []
    assert dockyard(app, "deploy", "-P", "--version", "v1").returncode == 0


def test_the_proxy_container_restarted_serves_the_same_routes(lab: labs.LabInfo) -> None:
    for host in lab.servers:
        assert ssh(lab, host.name, f"{lab.engine} restart dockyard-proxy").returncode == 0
    assert answers(lab) == {"hello from demo v1"}


def test_an_engine_restart_brings_the_app_and_routes_back(lab: labs.LabInfo) -> None:
    if lab.engine != "docker":
        pytest.skip("podman has no daemon: its containers outlive a restart of its API service")
    host = lab.servers[0].name
    restart = (
        "pkill -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 0.1; done; "
        "setsid nohup dockerd --config-file /etc/docker/daemon.json >/dev/null 2>&1 < /dev/null &"
    )
    assert ssh(lab, host, restart).returncode == 0
    assert answers(lab, timeout=40) == {"hello from demo v1"}
    assert running_web(lab, host) == ["demo-web-v1"]


def test_a_deploy_killed_halfway_is_recovered_by_the_next(lab: labs.LabInfo, app: Path) -> None:
    killed = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "deploy", "-P", "--version", "v2"],
        cwd=app, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "demo-web-v2" not in running_web(lab, lab.servers[0].name):
        assert time.monotonic() < deadline, "the deploy never started the new container"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    # Whether the kill came before or after a host's switch, the container that answers is
    # never the stale one
    listed = dockyard(app, "app", "stale_containers", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    stale = json.loads(listed.stdout)
    for host in lab.servers:
        version = get(host.ip, "demo.test")[1].split()[-1]
        assert f"demo-web-{version}" not in stale.get(host.ip, stale.get(host.name, []))
    with Load(lab.servers[0].ip, "demo.test") as load:
        done = dockyard(app, "deploy", "-P", "--version", "v2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "releasing a stale deploy lock" in done.stdout
    assert load.failures == [] and load.ok > 5  # the recovery drops nothing either
    for host in lab.servers:
        assert running_web(lab, host.name) == ["demo-web-v2"]
        assert ssh(lab, host.name, "test -e .dockyard/lock-demo").returncode == 1
    assert answers(lab) == {"hello from demo v2"}


def test_app_exec_in_a_new_container_with_the_current_env_file_and_in_the_running_one(
    lab: labs.LabInfo, app: Path
) -> None:
    show = "sh -c 'echo $SECRET_KEY_BASE; echo $EXTRA'"
    done = dockyard(app, "app", "exec", "-e", "EXTRA=yes", show)
    assert done.returncode == 0, done.stdout + done.stderr
    for host in lab.servers:  # the env file was uploaded first: the secret is in the container
        assert f"{host.ip}: {SECRET_VALUE}\n{host.ip}: yes\n" in done.stdout
    assert SECRET_VALUE not in done.stderr
    leftovers = ssh(lab, lab.servers[0].name, f"{lab.engine} ps -a --format '{{{{.Names}}}}'")
    assert "exec" not in leftovers.stdout  # the one-off containers are gone
    running = running_web(lab, lab.servers[0].name)
    done = dockyard(app, "app", "exec", "--reuse", "--raw", "-h", lab.servers[0].ip, "hostname")
    assert done.returncode == 0, done.stdout + done.stderr
    inspect = f"{lab.engine} inspect --format '{{{{.Config.Hostname}}}}' {running[-1]}"
    assert done.stdout.strip() == ssh(lab, lab.servers[0].name, inspect).stdout.strip()
    done = dockyard(app, "app", "exec", "sh -c 'exit 3'")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ERROR (DockyardError): the command failed on "
        + ", ".join(f"{h.ip} (exit 3)" for h in lab.servers)
    )


def test_prune_keeps_the_newest_stopped_containers_and_the_images_in_use(
    lab: labs.LabInfo, app: Path
) -> None:
    host = lab.servers[0].name
    image = f"{lab.registry_host}/demo"
    old = " ".join(
        f"{lab.engine} create --label service=demo --label role=web --name demo-web-old{i} "
        f"{image}:v1 >/dev/null;"
        for i in range(7)
    )
    assert ssh(lab, host, f"{old} {lab.engine} tag {image}:v1 {image}:unused").returncode == 0
    done = dockyard(app, "prune", "all", "-h", lab.servers[0].ip)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {image}:unused" in done.stdout
    filters = "--filter label=service=demo --filter status=created --filter status=exited"
    stopped = ssh(lab, host, f"{lab.engine} ps --all {filters} --format '{{{{.Names}}}}'")
    assert len(stopped.stdout.split()) == 5  # retain_containers, Kamal's default
    assert "demo-web-old6" in stopped.stdout and "demo-web-old0" not in stopped.stdout
    tags = ssh(lab, host, f"{lab.engine} images --format '{{{{.Tag}}}}' {image}").stdout.split()
    assert "unused" not in tags and {"v1", "v2", "latest"} <= set(tags)  # used, or latest
    assert answers(lab) == {"hello from demo v2"}


def test_server_exec_runs_on_every_server_and_names_the_ones_that_fail(
    lab: labs.LabInfo, app: Path
) -> None:
    done = dockyard(app, "server", "exec", "hostname")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "".join(f"{h.ip}: {h.name}\n" for h in lab.servers)
    done = dockyard(app, "server", "exec", "-h", lab.servers[1].ip, "exit 4")
    assert done.returncode == 1
    assert done.stderr.endswith(f"the command failed on {lab.servers[1].ip} (exit 4)\n")
    done = dockyard(app, "server", "bootstrap")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{lab.servers[0].ip}: {lab.engine} is installed\n" in done.stdout


def test_app_remove_takes_the_app_and_its_routes_and_leaves_the_proxy(
    lab: labs.LabInfo, app: Path, tmp_path: Path
) -> None:
    other = deploy_other(lab, tmp_path)
    done = dockyard(other, "app", "remove", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "its routes left the proxy" in done.stdout
    assert {get(h.ip, "other.test")[0] for h in lab.servers} == {404}
    for host in lab.servers:
        label = "--filter label=service=other"
        left = ssh(lab, host.name, f"{lab.engine} ps -a -q {label}; {lab.engine} images -q {label}")
        assert left.stdout.strip() == ""
    assert answers(lab) == {"hello from demo v2"}  # the proxy and the other app are untouched


def test_audit_and_images_as_json(lab: labs.LabInfo, app: Path) -> None:
    audit = json.loads(dockyard(app, "audit", "--json").stdout)
    assert set(audit) == {h.ip for h in lab.servers}
    assert all(any("Booted app version v2" in line for line in log) for log in audit.values())
    images = json.loads(dockyard(app, "app", "images", "--json").stdout)
    assert all(any(":v2 " in line for line in found) for found in images.values()), images


@pytest.mark.usefixtures("docker_only")
def test_hooks_run_in_order_with_kamals_variables_and_a_failing_one_stops_the_deploy(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    root = write_app(tmp_path / "app", lab)  # the same app, with hooks
    hooks, record = root / ".kamal" / "hooks", tmp_path / "hooks.log"
    hooks.mkdir()
    names = ["pre-connect", "pre-deploy", "pre-app-boot", "post-app-boot", "post-deploy",
             "pre-proxy-reboot", "post-proxy-reboot"]  # fmt: skip
    line = "$KAMAL_COMMAND/$KAMAL_SUBCOMMAND $KAMAL_VERSION $KAMAL_HOSTS lock=$KAMAL_LOCK"
    for name in names:
        (hooks / name).write_text(f'#!/bin/sh\necho "{name} {line}" >> {record}\n')
        (hooks / name).chmod(0o755)
    hosts = ",".join(h.ip for h in lab.servers)
    done = dockyard(root, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert record.read_text().splitlines() == [
        f"pre-connect deploy/ v1 {hosts} lock=false",
        f"pre-deploy deploy/ v1 {hosts} lock=true",
        f"pre-app-boot deploy/ v1 {hosts} lock=true",
        f"post-app-boot deploy/ v1 {hosts} lock=true",
        f"post-deploy deploy/ v1 {hosts} lock=false",
    ]
    (hooks / "pre-deploy").write_text("#!/bin/sh\necho no deploys on fridays\nexit 1\n")
    done = dockyard(root, "deploy", "-P", "--version", "v2")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ERROR (HookError): hook pre-deploy exited 1: no deploys on fridays; "
        "fix it, or skip hooks with -H/--skip-hooks"
    )
    assert ssh(lab, lab.servers[0].name, "test -e .dockyard/lock-demo").returncode == 1
    assert answers(lab) == {"hello from demo v1"}
    record.unlink()
    done = dockyard(root, "proxy", "reboot", "--rolling", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    assert record.read_text().splitlines()[1:] == [
        f"{name} proxy/reboot unknown {host.ip} lock=false"
        for host in lab.servers
        for name in ("pre-proxy-reboot", "post-proxy-reboot")
    ]
    assert answers(lab) == {"hello from demo v1"}
    done = dockyard(root, "deploy", "-P", "-H", "--version", "v2")  # -H skips the hooks
    assert done.returncode == 0, done.stdout + done.stderr


def test_app_boot_reboots_the_running_version_or_boots_a_given_one(
    lab: labs.LabInfo, app: Path
) -> None:
    host = lab.servers[0].name
    inspect = f"{lab.engine} inspect --format '{{{{.Id}}}}' demo-web-v2"
    before = ssh(lab, host, inspect).stdout
    done = dockyard(app, "app", "boot")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Booted v2" in done.stdout
    assert running_web(lab, host) == ["demo-web-v2"]
    assert ssh(lab, host, inspect).stdout != before  # a new container of the same version
    done = dockyard(app, "app", "boot", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert answers(lab) == {"hello from demo v1"}
    assert dockyard(app, "app", "boot", "--version", "v2").returncode == 0
    assert answers(lab) == {"hello from demo v2"}


def https_certificate(ip: str, host: str, cafile: str | None = None) -> bytes:
    """The certificate the proxy presents for this host name (verified against cafile)."""
    context = ssl.create_default_context(cafile=cafile)
    if cafile is None:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection((ip, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


def test_ssl_with_caddys_own_ca_and_with_a_custom_certificate_from_secrets(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    build_other_image(lab)
    other = write_app(tmp_path / "internal", lab, service="other", host="other.test", image="other")
    deploy_yml = other / "config" / "deploy.yml"
    first = lab.servers[0]
    both = "".join(f"      - {h.ip}\n" for h in lab.servers)
    text = deploy_yml.read_text().replace(both, f"      - {first.ip}\n", 1)  # Kamal: one server
    text = text.replace("  host: other.test\n", "  host: other.test\n  ssl: true\n")
    deploy_yml.write_text(
        text.replace("  proxy:\n    image:", "  proxy:\n    tls_issuer: internal\n    image:")
    )
    done = dockyard(other, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    volume = ssh(lab, first.name, f"{lab.engine} volume inspect --format '{{{{.Mountpoint}}}}' "
                                  "dockyard-proxy-data").stdout.strip()  # fmt: skip
    root = tmp_path / "root.crt"
    root.write_text(
        ssh(lab, first.name, f"cat {volume}/caddy/pki/authorities/local/root.crt").stdout
    )
    assert https_certificate(first.ip, "other.test", str(root))  # verified: Caddy's CA, the name
    redirect = http.client.HTTPConnection(first.ip, 80, timeout=10)
    redirect.request("GET", "/x", headers={"Host": "other.test"})
    response = redirect.getresponse()
    assert (response.status, response.getheader("Location")) == (308, "https://other.test/x")
    assert answers(lab) == {"hello from demo v2"}  # plain HTTP apps on the same proxy still work

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=other.test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)  # fmt: skip
    custom = write_app(tmp_path / "custom", lab, service="other", host="other.test", image="other")
    deploy_yml = custom / "config" / "deploy.yml"
    ssl_map = "  ssl:\n    certificate_pem: OTHER_CERT\n    private_key_pem: OTHER_KEY\n"
    deploy_yml.write_text(
        deploy_yml.read_text().replace("  host: other.test\n", "  host: other.test\n" + ssl_map)
    )
    with (custom / ".kamal" / "secrets").open("a") as secrets:
        secrets.write(f'OTHER_CERT="{cert.read_text()}"\nOTHER_KEY="{key.read_text()}"\n')
    done = dockyard(custom, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    expected = ssl.PEM_cert_to_DER_cert(cert.read_text())
    assert {https_certificate(h.ip, "other.test") == expected for h in lab.servers} == {True}
    bundle = ssh(lab, first.name, "stat -c %a .dockyard/proxy/certs/other-web.pem").stdout.strip()
    assert bundle == "600"
    assert key.read_text().strip() not in done.stdout + done.stderr
    assert dockyard(custom, "remove", "-y").returncode == 0
    assert ssh(lab, first.name, "test -e .dockyard/proxy/certs/other-web.pem").returncode == 1
