"""The issue's one-box stack as a Compose project (web + worker + Postgres, one x-dockyard block),
read through the real Docker Compose: `setup`, then 5 deploys (`VERSION=vN dockyard deploy`: the
image tag Compose interpolates is the version, pulled as it is) under continuous load with no
failed request, the worker replaced each time and Postgres untouched; a rollback brings back
every role. Then a second project on the same server, fronted by a Caddy service: its Caddyfile's
sites (read through `caddy adapt`) are what dockyard's proxy serves, path prefix included."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from ..accessory.harness import backup_name
from ..deploy.harness import Load, get
from ..deploy.images import push_version
from ..labs import engine_params, running

pytestmark = pytest.mark.e2e

SERVICE = "otto"
HOST = "otto.test"
WORKER = "trap 'exit 0' TERM; while :; do sleep 1; done"


@pytest.fixture(scope="module", params=engine_params("compose"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"compose-{request.param}", request.param, servers=1) as info:
        yield info


def write_project(root: Path, lab: labs.LabInfo) -> Path:
    postgres = ensure_db_images(lab)["postgres"]
    image = f"{lab.registry_host}/{SERVICE}"
    (root / ".kamal").mkdir(parents=True, exist_ok=True)
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    (root / ".env").write_text("SERVICE=otto\nDATABASE_URL=postgres://otto@db/otto\n")
    (root / "compose.yaml").write_text(f"""x-dockyard:
  service: otto
  servers: [{lab.servers[0].ip}]
  registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
  ssh: {{config: {lab.ssh_config}}}
  proxy: {{host: {HOST}, healthcheck: {{path: /up, interval: 1}}}}
  readiness_delay: 1
  deploy_timeout: 15
  drain_timeout: 10
  runtime: {lab.engine}
  caddy: {{image: {lab.images["proxy"]}}}
  backups: {{db: {{kind: postgres, keep: 3}}}}
services:
  web:
    image: {image}:${{VERSION:-v1}}
    restart: unless-stopped
    env_file: .env
    ports: ["8080:80"]
    depends_on: [db]
  worker:
    image: {image}:${{VERSION:-v1}}
    restart: unless-stopped
    env_file: .env
    command: ["sh", "-c", "{WORKER}"]
  db:
    image: {postgres}
    restart: unless-stopped
    environment: {{POSTGRES_USER: otto, POSTGRES_PASSWORD: pg-pass, POSTGRES_DB: otto}}
    volumes: ["pg:/var/lib/postgresql/data"]
volumes: {{pg: {{}}}}
""")
    return root


def ok(root: Path, *args: str, version: str) -> subprocess.CompletedProcess[str]:
    done = dockyard_version(root, version, *args)
    assert done.returncode == 0, f"dockyard {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def dockyard_version(root: Path, version: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`VERSION=<version> dockyard ARGS`: Compose interpolates ${VERSION} in the image tags."""
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args], cwd=root, capture_output=True, text=True,
        timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, "VERSION": version},
    )  # fmt: skip


def containers(lab: labs.LabInfo) -> list[str]:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, lab.servers[0].name,
         f"{lab.engine} ps --format '{{{{.Names}}}}'"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return sorted(done.stdout.split())


@pytest.fixture(scope="module")
def project(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for n in range(1, 7):
        push_version(lab, SERVICE, f"v{n}", pad=0)
    return write_project(tmp_path_factory.mktemp(f"otto-{lab.engine}"), lab)


def test_setup_then_redeploys_under_load(lab: labs.LabInfo, project: Path) -> None:
    out = ok(project, "setup", version="v1").stderr  # no -P: the image is not built
    assert "services.web.ports[0].published: not published on the host" in out
    ip = lab.servers[0].ip
    assert get(ip, HOST)[1].strip() == "hello from otto v1"
    before = containers(lab)
    assert "otto-db" in before and "otto-worker-v1" in before, before
    db_id = containers_ids(lab, "otto-db")
    # the app reaches Postgres by its Compose service name, as in `docker compose up`
    reached = ok(project, "app", "exec", "-r", "worker", "--reuse",
                 "sh -c 'ping -c 1 -W 1 db; true'", version="v1").stdout  # fmt: skip
    assert "PING db (" in reached, reached  # resolved (the libc resolver), not "bad address"
    with Load(ip, HOST, max_seconds=240) as load:
        for n in range(2, 7):
            ok(project, "deploy", version=f"v{n}")
    assert load.failures == [], load.failures[:5]
    assert load.ok > 50
    assert load.bodies <= {f"hello from otto v{n}" for n in range(1, 7)}
    assert get(ip, HOST)[1].strip() == "hello from otto v6"
    after = containers(lab)
    assert "otto-worker-v6" in after and "otto-worker-v5" not in after, after
    assert containers_ids(lab, "otto-db") == db_id  # the accessory is never touched by deploy
    print(f"compose stack: 5 redeploys, {load.ok} requests, {len(load.failures)} failed")


def test_rollback_brings_back_every_service_of_the_release_before(
    lab: labs.LabInfo, project: Path
) -> None:
    ip = lab.servers[0].ip
    with Load(ip, HOST, max_seconds=120) as load:
        ok(project, "rollback", version="v6")
    assert load.failures == [], load.failures[:5]
    assert get(ip, HOST)[1].strip() == "hello from otto v5"
    running = containers(lab)
    assert "otto-worker-v5" in running and "otto-worker-v6" not in running, running
    assert "otto-web-v5" in running and "otto-db" in running, running


def test_the_postgres_service_is_backed_up_and_verified(project: Path) -> None:
    made = backup_name(ok(project, "accessory", "backup", "db", version="v5").stdout)
    verified = ok(project, "accessory", "verify", "db", made, version="v5").stdout
    assert f"{made} verified" in verified, verified


CADDYFILE = """shop.test {
\treverse_proxy web:80
}

api.shop.test {
\thandle_path /v1/* {
\t\treverse_proxy api:80
\t}
}
"""


def test_a_caddy_fronted_project_is_served_at_its_caddyfile_s_routes(
    lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    push_version(lab, "shop", "s1", pad=0)
    root = tmp_path_factory.mktemp(f"shop-{lab.engine}")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    (root / "Caddyfile").write_text(CADDYFILE)
    image = f"{lab.registry_host}/shop:s1"
    (root / "compose.yaml").write_text(f"""x-dockyard:
  service: shop
  primary_role: web
  servers: [{lab.servers[0].ip}]
  registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
  ssh: {{config: {lab.ssh_config}}}
  proxy: {{healthcheck: {{path: /up, interval: 1}}}}
  readiness_delay: 1
  runtime: {lab.engine}
  caddy: {{image: {lab.images["proxy"]}}}
services:
  caddy:
    image: caddy:2
    ports: ["80:80", "443:443"]
    volumes: ["./Caddyfile:/etc/caddy/Caddyfile:ro"]
  web: {{image: "{image}", environment: {{SERVICE: shop}}}}
  api: {{image: "{image}", environment: {{SERVICE: shop-api}}}}
  jobs:
    image: "{image}"
    command: ["sh", "-c", "{WORKER}"]
    healthcheck: {{test: ["CMD-SHELL", "true"], interval: 1s}}
    depends_on: {{web: {{condition: service_healthy}}}}
""")
    out = ok(root, "deploy", version="s1").stderr
    assert "services.caddy" not in out  # the Caddyfile was read, and all of it carried over
    ip = lab.servers[0].ip
    assert get(ip, "shop.test")[1].strip() == "hello from shop s1"
    assert get(ip, "api.shop.test", "/v1/")[1].strip() == "hello from shop-api s1"
    assert get(ip, "api.shop.test", "/")[0] == 404  # only /v1 is routed there
    assert "shop-jobs-s1" in containers(lab)


def containers_ids(lab: labs.LabInfo, name: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, lab.servers[0].name,
         f"{lab.engine} inspect --format '{{{{.Id}}}}' {name}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
