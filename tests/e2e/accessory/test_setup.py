"""`setup` boots the accessories before the app, and `remove` takes both away."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..cli import labelled_image
from .conftest import ssh
from .harness import dockyard

pytestmark = [pytest.mark.e2e]


def write_kit(root: Path, lab: labs.LabInfo, service: str = "kit", first: str = "") -> Path:
    """The app `service` with a Redis accessory `cache`, after the accessories in `first`."""
    host = lab.servers[0].ip
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(
        f"""service: {service}
image: {service}
servers:
  web:
    hosts:
      - {host}
proxy:
  host: {service}.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 15
accessories:
{first}  cache:
    image: {ensure_db_images(lab)["redis"]}
    host: {host}
    env:
      secret:
        - REDIS_PASSWORD
    directories:
      - cache-data:/data
x-dockyard:
  runtime: {lab.engine}
  proxy:
    image: {lab.images["proxy"]}
"""
    )
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\nREDIS_PASSWORD=kit-pass\n")
    return root


@pytest.mark.usefixtures("docker_only")
def test_setup_boots_the_accessories_then_the_app_and_remove_takes_both(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    labelled_image(lab, "demo:v1", "kit:v1", "kit")  # the pull checks the label
    kit = write_kit(tmp_path / "kit", lab)
    done = dockyard(kit, "setup", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.index("Booting accessories: cache") < done.stdout.index("Deploying kit")
    names = ssh(lab, f"{lab.engine} ps --format '{{{{.Names}}}}'").stdout.split()
    assert {"kit-cache", "kit-web-v1"} <= set(names)
    conn = http.client.HTTPConnection(lab.servers[0].ip, 80, timeout=10)
    try:
        conn.request("GET", "/", headers={"Host": "kit.test"})
        assert conn.getresponse().read().decode().strip() == "hello from demo v1"
    finally:
        conn.close()
    done = dockyard(kit, "remove", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    left = ssh(
        lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'; test -e kit && echo data-left"
    ).stdout
    assert not [n for n in left.split() if n.startswith("kit")] and "data-left" not in left
    assert_only_what_it_listed_is_left(lab, done.stdout)


def assert_only_what_it_listed_is_left(lab: labs.LabInfo, output: str) -> None:
    """The last app on its proxy: the proxy goes with its image; its data volume, the audit log
    (and the network while other containers are on it) stay, each said on a line."""
    ip, engine, proxy = lab.servers[0].ip, lab.engine, lab.images["proxy"]
    lines = output.splitlines()
    network = f"{ip}: network kamal kept: other containers are on it"
    assert sorted(line for line in lines if line != network) == sorted([
        f"{ip}: removed kit; proxy removed (no other app used it)",
        f"{ip}: kit-cache removed with ~/kit-cache",
        f"{ip}: logged out of {lab.registry_host}",
        f"{ip}: proxy data volume dockyard-proxy-data kept (its TLS certificates and ACME "
        f"account): `{engine} volume rm dockyard-proxy-data` removes it",
        f"{ip}: audit log kept: ~/.dockyard/kit-audit.log",
    ])  # fmt: skip
    left = ssh(lab, (
        f"{engine} ps --all --quiet --filter name=dockyard-proxy; {engine} image inspect {proxy}"
        f" >/dev/null 2>&1 && echo proxy-image;"
        f" {engine} volume ls --quiet --filter name=dockyard;"
        f" {engine} network inspect kamal >/dev/null 2>&1 && echo network;"
        f" test -n \"$({engine} ps --all --quiet --filter network=kamal)\" && echo network-used;"
        " find ~ -path ~/.ssh -prune -o -name '*kit*' -print"
    )).stdout.split()  # fmt: skip
    used = "network-used" in left
    assert left == ["dockyard-proxy-data", *(["network", "network-used"] if used else []),
                    "/root/.dockyard/kit-audit.log"], left  # fmt: skip
    assert (network in lines) == used


def extra(lab: labs.LabInfo, target: str) -> str:
    """A Redis accessory with one file, mounted at target."""
    return f"""  extra:
    image: {ensure_db_images(lab)["redis"]}
    host: {lab.servers[0].ip}
    files:
      - extra.conf:{target}
"""


def test_setup_that_fails_on_one_accessory_resumes_after_the_fix(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    labelled_image(lab, "demo:v1", "mend:v1", "mend")
    root = tmp_path / "mend"
    root.mkdir()
    (root / "extra.conf").write_text("maxmemory 10mb\n")
    # A file mounted on the image's /data directory: the engine creates the container, then
    # cannot start it. The accessory after it still boots; the app is not deployed.
    mend = write_kit(root, lab, "mend", first=extra(lab, "/data"))
    host, engine = lab.servers[0].ip, lab.engine
    try:
        done = dockyard(mend, "setup", "-P", "--version", "v1")
        assert done.returncode == 1, done.stdout + done.stderr
        said = done.stdout + done.stderr
        # `run` exits 125 on Docker (the daemon could not start it), 126 on Podman (the OCI
        # runtime could not)
        status = 125 if engine == "docker" else 126
        assert f"[{host}] extra: booting extra failed: exited {status}: " in said, said
        assert f"[{host}] cache: mend-cache booted" in said, said
        assert f"1 of 2 accessory boots failed: {host} (extra)" in done.stderr, said
        assert "the app was not deployed" in done.stderr and "Deploying mend" not in said
        assert "mend-extra" not in ssh(lab, f"{engine} ps -a --format '{{{{.Names}}}}'").stdout
        # What a run cut short leaves (the case): its container created, never started
        made = ssh(lab, f"{engine} create --name mend-extra {ensure_db_images(lab)['redis']}")
        assert made.returncode == 0, made.stderr

        write_kit(root, lab, "mend", first=extra(lab, "/usr/local/etc/extra.conf"))
        done = dockyard(mend, "setup", "-P", "--version", "v1")
        said = done.stdout + done.stderr
        assert done.returncode == 0, said
        assert "mend-extra booted (replacing the created container an earlier run left)" in said
        assert "mend-cache already exists (running)" in said
        # inspect's State.Status on both engines (podman 4.3's `ps` says "Up 5 seconds ago");
        # Docker's .Name starts with a slash
        ids = f"$({engine} ps -aq --filter name=mend)"
        states = ssh(lab, f"{engine} inspect --format '{{{{.Name}}}} {{{{.State.Status}}}}' {ids}")
        assert sorted(n.removeprefix("/") for n in states.stdout.split("\n")[:-1]) == [
            "mend-cache running",
            "mend-extra running",
            "mend-web-v1 running",
        ], states.stdout
        conf = ssh(lab, f"{engine} exec mend-extra cat /usr/local/etc/extra.conf").stdout
        assert conf == "maxmemory 10mb\n"
    finally:
        dockyard(mend, "remove", "-y")
