"""`build dev` on the lab's builder (the working tree, tagged -dirty), and a registry that wants a
password: Debian's docker-registry with htpasswd auth on the lab gateway's spare port, beside
the lab's own registry (the lab's hosts trust that port over plain HTTP)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.spec import REGISTRY_HOST, SPARE_REGISTRY_PORT

from .harness import commit, config_text, dockyard, git, ssh, write_app

USER, PASSWORD = "shopper", "r1ght-pass-never-shown"


def test_build_dev_builds_the_working_tree_tagged_dirty(lab: labs.LabInfo, tmp_path: Path) -> None:
    app = write_app(tmp_path / "shop", lab)
    head = git(app, "rev-parse", "HEAD").strip()
    (app / "app" / "release").write_text("work in progress\n")  # changed, not committed
    (app / "app" / "notes.txt").write_text("new, untracked\n")

    done = dockyard(app, "build", "dev")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Files with uncommitted changes will be in the image: app/release" in done.stdout
    assert "Untracked files will be in the image: app/notes.txt" in done.stdout
    builder = lab.builder.ip
    engine = lab.engine
    shown = ssh(
        lab, builder, f"{engine} run --rm shop:{head}-dirty cat /app/release /app/notes.txt"
    )
    assert shown.stdout.splitlines() == ["work in progress", "new, untracked"], shown.stderr
    label = ssh(lab, builder, f"{engine} image inspect --format '{{{{.Config.Labels}}}}' "
                f"shop:latest-dirty")  # fmt: skip
    assert "service:shop" in label.stdout, label.stdout + label.stderr
    plain = ssh(lab, builder, f"{engine} image inspect shop:{head}")
    assert plain.returncode != 0, "build dev makes only the -dirty tags"
    for server in lab.servers:
        assert ssh(lab, server.ip, f"{engine} image inspect shop:{head}-dirty").returncode != 0

    done = dockyard(app, "build", "dev", "--output", "tar")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "ERROR (BuildError): build dev --output 'tar': dockyard supports docker (the builder's "
        "image store, the default) and registry (push the -dirty tags)"
    )


@pytest.fixture(scope="module")
def locked_registry(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry that wants USER/PASSWORD (bcrypt, `htpasswd -B`), reached by the hosts as
    registry.lab:5001. Yields its address from this machine."""
    if lab.engine != "docker":
        pytest.skip("one engine is enough for the registry's answer; docker's lab runs it")
    root = tmp_path_factory.mktemp("locked-registry")
    htpasswd = subprocess.run(
        ["htpasswd", "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True
    )
    (root / "htpasswd").write_text(htpasswd.stdout)
    address = f"{lab.registry.split(':')[0]}:{SPARE_REGISTRY_PORT}"
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"
        f"storage: {{filesystem: {{rootdirectory: {root}/data}}}}\n"
        f'http: {{addr: "{address}", secret: test-only}}\n'
        f"auth: {{htpasswd: {{realm: dockyard-test, path: {root}/htpasswd}}}}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(root / "config.yml")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while _status(address, None) != 401:
            assert process.poll() is None, "the locked registry exited"
            assert time.monotonic() < deadline, "the locked registry did not answer"
            time.sleep(0.05)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def _status(address: str, credentials: str | None, path: str = "/v2/") -> int:
    auth = ["-u", credentials] if credentials else []
    done = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *auth, f"http://{address}{path}"],
        capture_output=True, text=True,
    )  # fmt: skip
    return int(done.stdout or 0)


def _tags(address: str) -> list[str]:
    done = subprocess.run(
        ["curl", "-s", "-u", f"{USER}:{PASSWORD}", f"http://{address}/v2/shop/tags/list"],
        capture_output=True, text=True,
    )  # fmt: skip
    return list(json.loads(done.stdout).get("tags") or [])


def test_a_refused_login_is_one_line_and_pushes_nothing_then_the_right_password_works(
    lab: labs.LabInfo, locked_registry: str, tmp_path: Path
) -> None:
    app = write_app(tmp_path / "shop", lab, delivery="registry")
    server = f"{REGISTRY_HOST}:{SPARE_REGISTRY_PORT}"
    config = app / "config" / "deploy.yml"
    text = config_text(lab, delivery="registry")
    lab_login = f"server: {lab.registry_host}\n  username: lab"
    config.write_text(text.replace(lab_login, f"server: {server}\n  username: {USER}"))
    secrets = app / ".kamal" / "secrets"
    secrets.write_text(secrets.read_text().replace("REGISTRY_PASSWORD=lab", "REGISTRY_PASSWORD=no"))
    version = commit(app, "locked registry")

    done = dockyard(app, "build", "push")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"ERROR (DeliveryError): {lab.builder.ip}: the registry refused the login; check "
        "registry.username and registry.password (and the secret they name)"
    )
    assert _tags(locked_registry) == [], "nothing reached the registry"

    secrets.write_text(
        secrets.read_text().replace("REGISTRY_PASSWORD=no", f"REGISTRY_PASSWORD={PASSWORD}")
    )
    done = dockyard(app, "build", "deliver")
    assert done.returncode == 0, done.stdout + done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert sorted(_tags(locked_registry)) == sorted([version, "latest"])
    for host in lab.servers:
        pulled = ssh(lab, host.ip, f"docker image inspect {server}/shop:{version}")
        assert pulled.returncode == 0, pulled.stderr

    done = dockyard(app, "build", "dev", "--output", "registry")
    assert done.returncode == 0, done.stdout + done.stderr
    expected = [version, "latest", f"{version}-dirty", "latest-dirty"]
    assert sorted(_tags(locked_registry)) == sorted(expected)
