"""The lab for real: 3 servers with Docker and with Podman, each its own sshd (host keys checked)
and engine, a registry, isolation, container DNS, and a teardown that leaves nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab import spec as specs
from dockyard.lab.ready import engine_ping

from .conftest import LabFactory, lab_unavailable
from .labs import group, name_and_subnet

pytestmark = pytest.mark.e2e


def ssh(
    info: labs.LabInfo, host: str, command: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-F", info.ssh_config, "-o", "BatchMode=yes", *extra, host, command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def on(info: labs.LabInfo, host: str, command: str) -> str:
    done = ssh(info, host, command)
    assert done.returncode == 0, f"{host}: {command}: {done.stderr}"
    return done.stdout


def dockyard(*args: str, user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = [*(user or []), sys.executable, "-m", "dockyard", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def leftovers(name: str, lab_dir: str) -> dict[str, object]:
    """Everything of the lab that could outlive `down`, as seen from the root namespace."""
    prefix = specs.netns_prefix(name)
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    mounts = Path("/proc/self/mountinfo").read_text().split("\n")
    procs = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if lab_dir.encode() in (proc / "cmdline").read_bytes():
                    procs.append(proc.name)
            except OSError:
                pass
    cgroups = [str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{specs.cgroup_parent(name, '*')}")]
    return {
        "netns": [n for n in netns.split("\n") if n.startswith(prefix)],
        "veth": specs.gateway_veth(name) in links,
        "nft": specs.nft_table(name) in tables,
        "mounts": [m for m in mounts if f" {lab_dir}" in m],
        "processes": procs,
        "cgroups": cgroups,
    }


NOTHING = {"netns": [], "veth": False, "nft": False, "mounts": [], "processes": [], "cgroups": []}


@pytest.mark.parametrize("engine", [pytest.param(e, marks=group(f"lab-{e}"))
                                    for e in ("docker", "podman")])  # fmt: skip
def test_lab_up_isolated_servers_then_down_leaves_nothing(
    lab_factory: LabFactory, engine: str, tmp_path: Path
) -> None:
    name, subnet = name_and_subnet(f"lab-{engine}")
    info = lab_factory(name, subnet, servers=3, engine=engine)
    cli = engine  # the engine's own CLI; `docker` also drives podman hosts through its service
    assert [h.name for h in info.servers] == ["s1", "s2", "s3"]
    check_ssh_with_host_keys(info)
    check_isolation_and_registry(info, cli)
    check_container_dns(info, cli)
    check_test_images(info, cli)
    check_docker_cli_and_socket(info)
    check_stream_local_forwarding(info, tmp_path)
    check_status(info)
    check_the_machines_files_are_not_the_hosts(info, cli)
    labs.down(name)
    assert leftovers(name, info.dir) == NOTHING
    labs.down(name)  # safe twice
    assert leftovers(name, info.dir) == NOTHING


def check_ssh_with_host_keys(info: labs.LabInfo) -> None:
    for host in info.hosts:
        assert on(info, host.name, "hostname").strip() == host.name
        assert on(info, host.ip, "cat /etc/hostname").strip() == host.name
        assert "default" not in on(info, host.name, "ip route")
    # checking is on: the same login without the lab's known_hosts is refused
    refused = ssh(info, "s1", "true", "-o", "UserKnownHostsFile=/dev/null")
    assert refused.returncode == 255
    assert "Host key verification failed" in refused.stderr
    sftp = subprocess.run(["sftp", "-F", info.ssh_config, "-b", "-", "s2"], input="ls /\n",
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert sftp.returncode == 0, sftp.stderr


def check_isolation_and_registry(info: labs.LabInfo, cli: str) -> None:
    v1 = info.images["demo:v1"]
    on(info, "s1", f"{cli} pull -q {v1} && {cli} run -d --name only-on-s1 -p 80:80 {v1}")
    for other in ("s2", "s3"):
        assert "only-on-s1" not in on(info, other, f"{cli} ps -a --format '{{{{.Names}}}}'")
    on(info, "s1", "echo private > /root/mark")
    assert on(info, "s2", "ls /root").split() == []
    for host in ("s2", "s3"):  # the same pushed image, pulled on two servers
        out = on(info, host, f"{cli} pull -q {v1} && {cli} run --rm {v1} cat /app/version")
        assert out.strip().endswith("v1")
    # a published port answers from the root namespace and from another lab server
    assert on(info, "s2", f"wget -qO- http://{info.host('s1').ip}/").strip() == "hello from demo v1"


def check_container_dns(info: labs.LabInfo, cli: str) -> None:
    v1, v2 = info.images["demo:v1"], info.images["demo:v2"]
    on(info, "s3", f"{cli} network create appnet && {cli} run -d --name appa --network appnet {v2}")
    fetch = f"{cli} run --rm --network appnet {v1} sh -c 'sleep 0.3; wget -qO- http://appa/'"
    assert on(info, "s3", fetch).strip() == "hello from demo v2"
    out = on(info, "s3", f"time -p {cli} stop appa 2>&1")  # TERM is trapped: a quick stop
    assert "appa" in out


def check_test_images(info: labs.LabInfo, cli: str) -> None:
    """What the deploy tests rely on: /up per variant, the slow /, the sleep endpoint, Caddy."""
    img = info.images
    assert on(info, "s2", f"{cli} run --rm {img['proxy']} version").startswith("v2.11.7 ")
    on(info, "s2", f"{cli} run -d --name unh -p 81:80 {img['demo:unhealthy']} && "
                   f"{cli} run -d --name slow -e SLOW_SECONDS=0 -p 82:80 {img['demo:slow']} && "
                   f"{cli} run -d --name v2 -p 83:80 {img['demo:v2']}")  # fmt: skip
    get = "for i in $(seq 50); do busybox wget -qO- http://127.0.0.1:{}{} && break; sleep 0.1; done"
    assert on(info, "s2", get.format(83, "/up")).strip() == "OK"
    assert on(info, "s2", get.format(81, "/")).strip() == "hello from demo unhealthy"
    missing = on(info, "s2", "busybox wget -qO- http://127.0.0.1:81/up 2>&1; true")
    assert "404 Not Found" in missing
    assert on(info, "s2", get.format(82, "/")).strip() == "hello from demo slow"
    assert on(info, "s2", get.format(83, "/cgi-bin/sleep?0")) == "hello from demo v2 after 0s\n"


def check_docker_cli_and_socket(info: labs.LabInfo) -> None:
    """The docker CLI drives every host (podman through its service), over ssh and the socket."""
    assert "only-on-s1" in on(info, "s1", "docker ps --format '{{.Names}}'")
    sock = info.host("s1").socket
    done = subprocess.run(["docker", "-H", f"unix://{sock}", "ps", "--format", "{{.Names}}"],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.stdout.split() == ["only-on-s1"]


def check_the_machines_files_are_not_the_hosts(info: labs.LabInfo, cli: str) -> None:
    """A host has its own /var/lib, /srv, ... (where data and users' bind mounts go), and the
    rest of the machine's / is read-only to it: nothing a host writes lands on the machine."""
    probe = f"dockyard-probe-{info.name}"
    refused = ssh(info, "s1", f"touch /etc/{probe} /usr/local/{probe}")
    assert refused.returncode != 0 and refused.stderr.count("Read-only file system") == 2
    on(info, "s1", f"echo s1 > /var/lib/{probe} && mkdir -p /srv/{probe}")
    assert on(info, "s2", f"cat /var/lib/{probe} 2>/dev/null || echo absent").strip() == "absent"
    bound = f"{cli} run --rm -v /srv/{probe}:/d {info.images['base']} sh -c 'echo c > /d/f'"
    on(info, "s1", bound)
    assert on(info, "s1", f"cat /srv/{probe}/f").strip() == "c"
    for path in (f"/etc/{probe}", f"/usr/local/{probe}", f"/var/lib/{probe}", f"/srv/{probe}"):
        assert not os.path.lexists(path), f"a lab host wrote {path} on the machine"
    assert Path(info.dir, "s1", "fs", "var", "lib", probe).read_text() == "s1\n"


def check_status(info: labs.LabInfo) -> None:
    report = labs.status(info.name)
    assert report["state"] == "up"
    assert report["nft_table"] and report["gateway_veth"]  # the guard is in place while up
    assert sorted(report["netns"]) == sorted([specs.switch_netns(info.name)] +
                                             [h.netns for h in info.hosts])  # fmt: skip
    assert [r["name"] for r in report["hosts"]] == ["builder", "s1", "s2", "s3"]
    done = dockyard("lab", "status", "--name", info.name)
    assert done.returncode == 0
    assert done.stdout.startswith(f"lab {info.name}: up")
    done = dockyard("lab", "ssh", "--name", info.name, "s2", "--", "hostname")
    assert (done.returncode, done.stdout) == (0, "s2\n")


def check_stream_local_forwarding(info: labs.LabInfo, tmp_path: Path) -> None:
    """A unix socket on the server, reached through the SSH connection (as the proxy's admin)."""
    local = tmp_path / "fwd.sock"
    argv = ["ssh", "-F", info.ssh_config, "-o", "ExitOnForwardFailure=yes", "-N",
            "-L", f"{local}:/run/podman/podman.sock" if info.engine == "podman"
            else f"{local}:/run/docker.sock", "s1"]  # fmt: skip
    with subprocess.Popen(argv, stderr=subprocess.PIPE, text=True) as tunnel:
        try:
            for _ in range(100):
                if local.exists() and engine_ping(str(local)):
                    break
                time.sleep(0.05)
            assert engine_ping(str(local))
        finally:
            tunnel.terminate()


@group("lab-bad")
def test_bad_subnet_fails_with_one_line_and_makes_nothing() -> None:
    name, subnet = name_and_subnet("lab-bad")
    bad = subnet.replace("/24", "/33")
    lab_dir = specs.LabSpec(name=name).lab_dir
    shutil.rmtree(lab_dir, ignore_errors=True)
    done = dockyard("lab", "up", "--name", name, "--subnet", bad)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"ERROR (LabError): --subnet '{bad}' is not a network")
    assert not Path(lab_dir).exists()
    assert leftovers(name, lab_dir) == NOTHING


@group("lab-bad")
def test_as_non_root_fails_with_one_line_and_makes_nothing() -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop to an unprivileged user")
    name, subnet = name_and_subnet("lab-bad")
    lab_dir = specs.LabSpec(name=name).lab_dir
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    done = dockyard("lab", "up", "--name", name, "--subnet", subnet, user=nobody)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        "ERROR (LabError): the lab needs root (network namespaces, mounts); run it with sudo\n"
    )
    assert leftovers(name, lab_dir) == NOTHING


@group("lab-bad")
def test_up_failing_midway_takes_down_what_it_made() -> None:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    name, subnet = name_and_subnet("lab-bad")
    lab_dir = Path(specs.LabSpec(name=name).lab_dir)
    labs.down(name)
    shutil.rmtree(lab_dir, ignore_errors=True)
    lab_dir.mkdir(parents=True)
    (lab_dir / "s2").write_text("not a dir\n")  # s2's dir cannot be made: up fails at s2
    try:
        done = dockyard("lab", "up", "--name", name, "--subnet", subnet, "--servers", "3")
        assert done.returncode == 1
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        assert errors == [done.stderr.splitlines()[-1]], done.stderr
        assert errors[0] == (
            f"ERROR (LabError): lab up failed (Not a directory: {lab_dir}/s2); "
            "took down what was made"
        )
        assert leftovers(name, str(lab_dir)) == NOTHING
        assert not (lab_dir / "builder").exists()
    finally:
        labs.down(name)
        shutil.rmtree(lab_dir, ignore_errors=True)


@group("lab-bad")
def test_down_after_a_crash_removes_what_is_left() -> None:
    """Every lab process killed at once (a crashed `up`, an OOM kill), lab.json lost: `down`
    still finds the namespaces, veth, guard and host dirs, and removes them."""
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    name, subnet = name_and_subnet("lab-bad")
    labs.down(name)
    info = labs.up(labs.LabSpec(name=name, subnet=subnet, servers=1), build_images=False)
    try:
        for pid in [*info.pids.values(), *(h.pids["init"] for h in info.hosts)]:
            os.kill(pid, signal.SIGKILL)
        Path(info.dir, "lab.json").unlink()
        assert leftovers(name, info.dir)["netns"] != []
        done = dockyard("lab", "down", "--name", name)
        assert (done.returncode, done.stdout) == (0, f"lab {name} is down\n")
        assert leftovers(name, info.dir) == NOTHING
        assert not Path(info.dir, "s1").exists()
    finally:
        labs.down(name)


@group("lab-side")
def test_two_labs_side_by_side_do_not_reach_each_other(lab_factory: LabFactory) -> None:
    a = lab_factory(*name_and_subnet("lab-side-a"), servers=1, images=False)
    b = lab_factory(*name_and_subnet("lab-side-b"), servers=1, images=False)
    assert on(a, "s1", "hostname").strip() == on(b, "s1", "hostname").strip() == "s1"
    assert {h.netns for h in a.hosts}.isdisjoint(h.netns for h in b.hosts)
    probe = f"timeout 3 bash -c '</dev/tcp/{b.host('s1').ip}/22' 2>&1; echo rc=$?"
    out = on(a, "s1", probe)
    assert "Network is unreachable" in out and "rc=1" in out
    labs.down(a.name)
    assert on(b, "s1", "hostname").strip() == "s1"  # the other lab is untouched
