"""Build on the lab's builder host and ship to its servers: over SSH (only missing layers) and
through its registry; an interrupted transfer re-run; bad input stopping with one clear line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.workflows.delivery.deliver import local_registry_storage
from tests.e2e.deploy.harness import get

from ..labs import index
from .harness import SECRET_VALUE, commit, config_text, dockyard, git, ssh, write_app

pytestmark = pytest.mark.e2e


def serving(lab: labs.LabInfo) -> set[str]:
    return {get(h.ip, "shop.test")[1].strip() for h in lab.servers}


def sent_layers(output: str) -> dict[str, tuple[int, int]]:
    """host -> (layers sent, layers the host lacked) from the transfer's progress lines."""
    found = re.findall(r"\[([\d.]+)\] sent (\d+) of (\d+) missing layer", output)
    return {host: (int(sent), int(lacked)) for host, sent, lacked in found}


def tagged(lab: labs.LabInfo, host: str, image: str) -> bool:
    return ssh(lab, host, f"{lab.engine} image inspect {image}").returncode == 0


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp("shop"), lab)


def test_deploy_builds_on_the_builder_and_sends_only_missing_layers(
    lab: labs.LabInfo, app: Path
) -> None:
    first = dockyard(app, "deploy")
    assert first.returncode == 0, first.stdout + first.stderr
    assert serving(lab) == {"hello from shop r1"}
    assert {lacked for _, lacked in sent_layers(first.stdout).values()} == {4}

    (app / "app" / "release").write_text("r2\n")
    version = commit(app, "r2")
    second = dockyard(app, "deploy")
    assert second.returncode == 0, second.stdout + second.stderr
    assert serving(lab) == {"hello from shop r2"}
    # only the layer with the changed file travels; busybox and the rest are there already
    assert set(sent_layers(second.stdout).values()) == {(2, 2)}, second.stdout
    for server in lab.servers:
        assert tagged(lab, server.ip, f"shop:{version}")
        listed = ssh(lab, server.ip, "ls -A .dockyard/images/layers; ls -d .dockyard/images/load-*")
        assert listed.stdout.strip() == "", "staged layers and load dirs are cleaned up"

    again = dockyard(app, "build", "pull")  # every server has it: the early export is dropped
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already: tagged") == len(lab.servers), again.stdout
    exports = ssh(lab, lab.builder.ip, "ls -d .dockyard/export-* 2>/dev/null")
    assert exports.stdout.strip() == "", "the builder keeps no export dir"


def test_uncommitted_changes_are_not_shipped_and_dockyard_says_so(
    lab: labs.LabInfo, app: Path
) -> None:
    (app / "app" / "release").write_text("not committed\n")
    try:
        done = dockyard(app, "deploy")
    finally:
        git(app, "checkout", "--", "app/release")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Uncommitted changes are not in the image" in done.stdout
    assert "not committed" not in " ".join(serving(lab))


def test_build_args_reach_the_build_and_the_image_is_labelled(lab: labs.LabInfo, app: Path) -> None:
    config = app / "config" / "deploy.yml"
    original = config.read_text()
    config.write_text(config_text(lab, delivery="ssh", greeting="hola"))
    try:
        done = dockyard(app, "build", "deliver")
        assert done.returncode == 0, done.stdout + done.stderr
        version = git(app, "rev-parse", "HEAD").strip()
        label_format = "'{{index .Config.Labels \"service\"}}'"
        label = ssh(
            lab, lab.servers[0].ip,
            f"{lab.engine} image inspect --format {label_format} shop:{version}"
            f" && {lab.engine} run --rm shop:{version} cat /app/greeting",
        )  # fmt: skip
        assert label.stdout.split() == ["shop", "hola"]
    finally:
        config.write_text(original)


def test_delivery_through_the_lab_registry(lab: labs.LabInfo, tmp_path: Path) -> None:
    app = write_app(tmp_path / "shop", lab, delivery="registry")
    (app / "app" / "release").write_text("via registry\n")
    commit(app, "registry")
    done = dockyard(app, "deploy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Pulling" in done.stdout and "Sending" not in done.stdout
    assert serving(lab) == {"hello from shop via registry"}
    catalog = subprocess.run(
        ["curl", "-s", f"http://{lab.registry}/v2/shop/tags/list"], capture_output=True, text=True
    )
    assert "latest" in catalog.stdout


def test_an_interrupted_transfer_leaves_no_tag_and_a_rerun_resumes(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    app = write_app(tmp_path / "shop", lab)
    dockerfile = app / "Dockerfile"
    lines = dockerfile.read_text().replace(
        "COPY app/ /app/\n",
        "COPY app/ /app/\n" + "".join(f"COPY blob{i} /blob{i}\n" for i in range(4)),
    )
    dockerfile.write_text(lines)
    for i in range(4):
        (app / f"blob{i}").write_bytes(_incompressible(24 << 20, seed=i))
    version = commit(app, "big")
    assert dockyard(app, "build", "push").returncode == 0

    deliver = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "build", "pull"],
        cwd=app, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    first = lab.servers[0].ip
    try:
        _wait_for(lambda: _staged(lab, first) >= 1, deliver)
    finally:
        deliver.kill()
        deliver.wait()
    for server in lab.servers:
        assert not tagged(lab, server.ip, f"shop:{version}"), "no tag from a cut-short transfer"
    staged = _staged(lab, first)
    assert staged >= 1

    again = dockyard(app, "deploy", "-P")
    assert again.returncode == 0, again.stdout + again.stderr
    sent, lacked = sent_layers(again.stdout)[first]
    assert sent <= lacked - staged, "layers staged before the interruption are not sent again"
    assert serving(lab) == {"hello from shop r1"}
    for server in lab.servers:
        assert tagged(lab, server.ip, f"shop:{version}")


def test_a_failing_build_shows_its_own_error_lines(lab: labs.LabInfo, tmp_path: Path) -> None:
    app = write_app(tmp_path / "shop", lab)
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + 'RUN echo "step went wrong" >&2 && exit 7\n')
    commit(app, "broken")
    done = dockyard(app, "build", "push")
    assert done.returncode == 1
    assert done.stderr.startswith("ERROR (BuildError): ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "step went wrong" in done.stdout, "the build's own lines are shown"


def test_bad_builder_input_gives_one_line_each(lab: labs.LabInfo, tmp_path: Path) -> None:
    app = write_app(tmp_path / "shop", lab)
    config = app / "config" / "deploy.yml"
    original = config.read_text()

    config.write_text(original.replace("arch: amd64", "arch: amd65"))
    done = dockyard(app, "deploy")
    assert done.returncode == 1 and "unknown arch 'amd65'" in done.stderr, done.stderr

    if lab.engine == "docker":  # Debian's docker.io: no buildx, so no BuildKit secrets
        config.write_text(original.replace("  args:\n", "  secrets:\n    - BUILD_TOKEN\n  args:\n"))
        done = dockyard(app, "deploy")
        assert done.returncode == 1 and "build secrets need BuildKit" in done.stderr, done.stderr
        assert SECRET_VALUE not in done.stdout + done.stderr

    config.write_text(original)
    git(app, "rm", "-q", "Dockerfile")
    commit(app, "no Dockerfile")
    done = dockyard(app, "deploy")
    assert done.returncode == 1
    assert "Dockerfile is not in the git HEAD" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_server_without_disk_space_is_refused_before_anything_is_sent(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    app = write_app(tmp_path / "shop", lab)
    (app / "blob").write_bytes(_incompressible(8 << 20, seed=9))
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY app/", "COPY blob /blob\nCOPY app/"))
    version = commit(app, "blob")
    server = lab.servers[0]
    pid = server.pids["init"]
    layers = "/root/.dockyard/images"
    mount = f"mkdir -p {layers} && mount -t tmpfs -o size=1m tmpfs {layers}"
    subprocess.run(["nsenter", "-t", str(pid), "-m", "sh", "-c", mount], check=True)
    try:
        done = dockyard(app, "build", "deliver")
    finally:
        subprocess.run(["nsenter", "-t", str(pid), "-m", "umount", layers], check=True)
    assert done.returncode == 1
    assert "MiB is free; free some space" in done.stderr, done.stderr
    assert not tagged(lab, server.ip, f"shop:{version}")


def _incompressible(size: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


def _staged(lab: labs.LabInfo, host: str) -> int:
    listed = ssh(lab, host, "ls .dockyard/images/layers 2>/dev/null | grep -c 'tar.gz$'")
    return int(listed.stdout.strip() or 0)


def _wait_for(condition: object, process: subprocess.Popen[str], seconds: float = 120) -> None:
    assert callable(condition)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        if process.poll() is not None:
            pytest.fail(f"the transfer ended (exit {process.returncode}) before the interruption")
        time.sleep(0.05)
    pytest.fail("no layer was staged in time")


def test_registry_login_and_logout_on_the_builder_and_the_servers(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    app = write_app(tmp_path / "shop", lab, delivery="registry")
    hosts = [lab.builder.ip, *(h.ip for h in lab.servers)]
    auths = "cat .docker/config.json /run/containers/0/auth.json 2>/dev/null"

    done = dockyard(app, "registry", "login")
    assert done.returncode == 0, done.stdout + done.stderr
    for host in hosts:
        assert lab.registry_host in ssh(lab, host, auths).stdout, host

    done = dockyard(app, "registry", "logout", "-L")
    assert done.returncode == 0, done.stdout + done.stderr
    assert lab.registry_host in ssh(lab, lab.builder.ip, auths).stdout, "-L keeps the builder's"
    for server in lab.servers:
        assert lab.registry_host not in ssh(lab, server.ip, auths).stdout


def test_build_secrets_reach_the_build_and_never_show(lab: labs.LabInfo, tmp_path: Path) -> None:
    if lab.engine != "podman":
        pytest.skip("build secrets need BuildKit or podman; this docker has neither buildx")
    app = write_app(tmp_path / "shop", lab)
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(
        "LABEL service=shop",
        "RUN --mount=type=secret,id=BUILD_TOKEN wc -c < /run/secrets/BUILD_TOKEN > /app/length\n"
        "LABEL service=shop",
    ))  # fmt: skip
    config = app / "config" / "deploy.yml"
    config.write_text(
        config.read_text().replace("  args:\n", "  secrets:\n    - BUILD_TOKEN\n  args:\n")
    )
    version = commit(app, "secret")
    done = dockyard(app, "build", "deliver", "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert SECRET_VALUE not in done.stdout + done.stderr
    server = lab.servers[0].ip
    length = ssh(lab, server, f"podman run --rm shop:{version} cat /app/length")
    assert length.stdout.strip() == str(len(SECRET_VALUE))
    for host in (server, lab.builder.ip):
        shown = ssh(lab, host, f"podman history --no-trunc shop:{version}; "
                    f"podman image inspect shop:{version}")  # fmt: skip
        assert shown.returncode == 0 and SECRET_VALUE not in shown.stdout


def test_no_engine_here_and_no_remote_builder_names_both_fixes(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    if subprocess.run([lab.engine, "version"], capture_output=True).returncode == 0:
        pytest.skip(f"this machine runs {lab.engine} itself")
    app = write_app(tmp_path / "shop", lab)
    config = app / "config" / "deploy.yml"
    config.write_text(config.read_text().replace(f"  remote: ssh://root@{lab.builder.ip}\n", ""))
    done = dockyard(app, "deploy")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"ERROR (BuildError): this machine has no working {lab.engine} to build with; install "
        f"{lab.engine} here, or set builder.remote: ssh://user@host to build on a host that has one"
    )


def test_local_registry_mode_through_ssh_reverse_tunnels(lab: labs.LabInfo, tmp_path: Path) -> None:
    port = 5991 + index()  # this machine's loopback: one port per worker and checkout
    app = write_app(tmp_path / "shop", lab, delivery="registry")
    config = app / "config" / "deploy.yml"
    lab_registry = (
        f"server: {lab.registry_host}\n  username: lab\n  password:\n    - REGISTRY_PASSWORD\n"
    )
    config.write_text(config.read_text().replace(lab_registry, f"server: localhost:{port}\n"))
    (app / "app" / "release").write_text("via local registry\n")
    version = commit(app, "local registry")
    done = dockyard(app, "deploy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert serving(lab) == {"hello from shop via local registry"}
    for server in lab.servers:
        assert tagged(lab, server.ip, f"localhost:{port}/shop:{version}")
        listening = ssh(lab, server.ip, f"ss -Hltn 'sport = :{port}'")
        assert listening.stdout.strip() == "", "the tunnel is closed after the deploy"
    local = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
    assert local.stdout.strip() == "", "the local registry is stopped after the deploy"


def test_build_details_names_the_builder_its_engine_and_the_delivery(
    lab: labs.LabInfo, app: Path
) -> None:
    done = dockyard(app, "build", "details")
    assert done.returncode == 0, done.stdout + done.stderr
    kind = "docker" if lab.engine == "docker" else "podman"  # Debian's docker.io: no buildx
    assert done.stdout.strip() == (
        f"builder: {lab.builder.ip} ({kind}, x86_64); arch: amd64; delivery: ssh"
    )


@pytest.fixture(autouse=True, scope="module")
def _no_local_registry_left() -> Iterator[None]:
    """The local registry's storage a test made (~/.cache/dockyard/registry-PORT, which dockyard
    keeps for the next deploy) is removed after the module: the suite leaves nothing behind."""
    cache = local_registry_storage(0).parent
    before = set(cache.glob("registry-*"))
    yield
    for made in set(cache.glob("registry-*")) - before:
        shutil.rmtree(made, ignore_errors=True)
