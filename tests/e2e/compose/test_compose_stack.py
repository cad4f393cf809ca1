"""The issue's one-box stack as a Compose project (app and worker, each its own image, and
Postgres; one x-dockyard block), read through the real Docker Compose: `setup`, then 5 deploys
(`VERSION=vN dockyard deploy`: the image tags Compose interpolates are the version, pulled as
they are) under continuous load with no failed request, the worker (a role of its own image)
replaced each time and Postgres untouched; a rollback brings back every role, each its own
image; Postgres backed up to the S3 store, restored and verified. Then a second project on the
same server, fronted by a Caddy service: its Caddyfile's sites (read through `caddy adapt`) are
what dockyard's proxy serves, path prefix included."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images
from dockyard.loading.compose import read_project

from ..accessory.harness import backup_name
from ..deploy.harness import Load, get
from ..deploy.images import push_version
from ..labs import engine_params, running
from ..s3store import Store, storage_classes, store_at

pytestmark = pytest.mark.e2e

SERVICE = "otto"
HOST = "otto.test"
WORKER = "trap 'exit 0' TERM; while :; do sleep 1; done"
PREFIX = "otto/db/"
# The stack as written, but for: its images quoted (unquoted, Compose itself refuses the
# file: tests/unit/compose/test_mapping.py), Postgres from the lab's registry, with a password
# (the image refuses to start without one).
STACK = """services:
  app:    {{ image: "otto/app:${{VERSION}}", restart: unless-stopped, env_file: .env }}
  worker: {{ image: "otto/worker:${{VERSION}}", restart: unless-stopped, env_file: .env }}
  db:     {{ image: "{postgres}", restart: unless-stopped, volumes: ["pg:/var/lib/postgresql/data"],
            environment: {{POSTGRES_USER: otto, POSTGRES_PASSWORD: pg-pass, POSTGRES_DB: otto}} }}
volumes: {{ pg: {{}} }}
"""


@pytest.fixture(scope="module", params=engine_params("compose"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"compose-{request.param}", request.param, servers=1) as info:
        yield info


@pytest.fixture(scope="module")
def store(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    gateway = lab.registry.rsplit(":", 1)[0]
    with store_at(gateway, tmp_path_factory.mktemp("seaweedfs")) as found:
        yield found


def write_project(root: Path, lab: labs.LabInfo, store: Store) -> Path:
    postgres = ensure_db_images(lab)["postgres"]
    (root / ".kamal").mkdir(parents=True, exist_ok=True)
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nS3_ACCESS_KEY_ID={store.access_key}\n"
        f"S3_SECRET_ACCESS_KEY={store.secret_key}\n"
    )
    (root / ".env").write_text("SERVICE=otto\nDATABASE_URL=postgres://otto@db/otto\n")
    (root / "compose.yaml").write_text(
        f"""x-dockyard:
  service: otto
  servers: [{lab.servers[0].ip}]
  registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
  ssh: {{config: {lab.ssh_config}}}
  proxy: {{host: {HOST}, app_port: 80, healthcheck: {{path: /up, interval: 1}}}}
  readiness_delay: 1
  deploy_timeout: 15
  drain_timeout: 10
  runtime: {lab.engine}
  caddy: {{image: {lab.images["proxy"]}}}
  backups:
    db:
      kind: postgres
      schedule: "0 */6 * * *"
      keep: 120
      max_age: 30d
      verify_every: 7d
      target:
        s3: {{endpoint: {store.endpoint}, bucket: {store.bucket}, prefix: {PREFIX},
              access_key_id: S3_ACCESS_KEY_ID, secret_access_key: S3_SECRET_ACCESS_KEY,
              storage_class: STANDARD_IA}}
"""
        + STACK.format(postgres=postgres)
    )
    return root


def ok(root: Path, *args: str, version: str) -> subprocess.CompletedProcess[str]:
    done = dockyard_version(root, version, *args)
    assert done.returncode == 0, f"dockyard {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def dockyard_version(
    root: Path, version: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`VERSION=<version> dockyard ARGS`: Compose interpolates ${VERSION} in the image tags."""
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args], cwd=root, capture_output=True, text=True,
        timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {}), "VERSION": version},
    )  # fmt: skip


def on_server(lab: labs.LabInfo, command: str) -> str:
    done = subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].name, command],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def containers(lab: labs.LabInfo) -> list[str]:
    return sorted(on_server(lab, f"{lab.engine} ps --format '{{{{.Names}}}}'").split())


def image_of(lab: labs.LabInfo, container: str) -> str:
    return on_server(
        lab, f"{lab.engine} inspect --format '{{{{.Config.Image}}}}' {container}"
    ).strip()


@pytest.fixture(scope="module")
def project(lab: labs.LabInfo, store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for n in range(1, 7):  # both built from the test app, each its own image
        push_version(lab, "otto/app", f"v{n}", pad=0, service=SERVICE)
        push_version(lab, "otto/worker", f"v{n}", pad=0, service=SERVICE)
    return write_project(tmp_path_factory.mktemp(f"otto-{lab.engine}"), lab, store)


def test_setup_then_redeploys_under_load(lab: labs.LabInfo, project: Path) -> None:
    out = ok(project, "setup", version="v1").stderr  # no -P: the images are not built
    assert "services.worker" not in out  # the worker is a role of its own image, all honoured
    ip = lab.servers[0].ip
    assert get(ip, HOST)[1].strip() == "hello from otto v1"
    before = containers(lab)
    assert "otto-db" in before and "otto-worker-v1" in before, before
    assert image_of(lab, "otto-worker-v1") == f"{lab.registry_host}/otto/worker:v1"
    assert image_of(lab, "otto-app-v1") == f"{lab.registry_host}/otto/app:v1"
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
    assert image_of(lab, "otto-worker-v6") == f"{lab.registry_host}/otto/worker:v6"
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
    assert "otto-app-v5" in running and "otto-db" in running, running
    assert image_of(lab, "otto-worker-v5") == f"{lab.registry_host}/otto/worker:v5"


def test_the_postgres_service_is_backed_up_to_the_store_restored_and_verified(
    project: Path, store: Store
) -> None:
    psql = ["accessory", "exec", "db", "--reuse"]
    sql = "psql -U otto -d otto -Atc {}"
    ok(project, *psql, sql.format(shlex.quote("create table orders as select generate_series("
                                              "1, 500) id")), version="v5")  # fmt: skip
    made = backup_name(ok(project, "accessory", "backup", "db", version="v5").stdout)
    stored = storage_classes(store, PREFIX)  # the dump in storage_class, its manifest not
    assert (stored[f"{PREFIX}{made}"], stored[f"{PREFIX}{made}.json"]) == ("STANDARD_IA",
                                                                           "STANDARD")  # fmt: skip
    listed = ok(project, "accessory", "backups", "db", version="v5").stdout
    assert made in listed and "WARNING: no backup verified yet; verify_every 7d" in listed
    ok(project, *psql, sql.format(shlex.quote("drop table orders")), version="v5")
    restored = ok(project, "accessory", "restore", "db", made, "-y", version="v5").stdout
    assert f"{made} restored into otto" in restored, restored
    count = ok(project, *psql, sql.format(shlex.quote("select count(*) from orders")),
               version="v5").stdout  # fmt: skip
    assert count.strip().endswith("500"), count
    verified = ok(project, "accessory", "verify", "db", made, version="v5").stdout
    assert f"{made} verified" in verified and "500 row(s) match" in verified, verified
    details = ok(project, "accessory", "details", "db", version="v5").stdout
    assert re.search(rf"last verified \d+s ago: {made}", details), details
    assert "WARNING" not in details, details


def test_the_server_verifies_the_newest_backup_on_schedule_and_details_warns_when_it_fails(
    lab: labs.LabInfo, project: Path, store: Store, tmp_path: Path
) -> None:
    """What schedule.sh runs after a scheduled backup (verify_every is set), run now: the newest
    backup in the store restored into a throwaway Postgres in the backup container; then a
    damaged newest backup, which top-level `details` warns about. Docker only: the script runs
    inside the backup container and the engine only execs it (the backup test above execs the
    backup container's scripts on both engines)."""
    if lab.engine != "docker":
        pytest.skip("verify.sh runs inside the backup container; the engine only execs it")
    backup = f"{lab.engine} exec otto-db-backup sh /dockyard/verify.sh"
    newest = sorted(k for k in store.keys(PREFIX) if k.endswith(".pgdump"))[-1]
    done = on_server(lab, backup)
    assert "1 table(s), 500 row(s) match" in done, done
    due = on_server(lab, f"{backup} due && echo due || echo not-due")
    assert due.strip() == "not-due"  # verify_every 7d reached the container: a pass just now
    details = ok(project, "accessory", "details", "db", version="v5").stdout
    name = newest.removeprefix(PREFIX)
    assert re.search(rf"last verified \d+s ago: {name} \(scheduled: 1 table", details), details
    assert "WARNING" not in ok(project, "details", version="v5").stdout
    damaged = f"{PREFIX}otto-db-29990101T000000Z.pgdump"
    manifest = {"file": damaged.removeprefix(PREFIX), "kind": "postgres", "size": 4,
                "sha256": "0" * 64, "created": 1, "entries": 0, "encrypted": False}  # fmt: skip
    url = f"{store.endpoint}/{store.bucket}"
    for key, body in ((damaged, "junk"), (f"{damaged}.json", json.dumps(manifest))):
        (tmp_path / "upload").write_text(body)
        put = store.curl("--fail", "-T", str(tmp_path / "upload"), f"{url}/{key}")
        assert put.returncode == 0, put.stderr
    try:
        failed = subprocess.run(["ssh", "-F", lab.ssh_config, lab.servers[0].name, backup],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert failed.returncode == 1, failed.stdout
        details = ok(project, "details", version="v5").stdout
        assert re.search(
            r"WARNING: the last verify failed \d+s ago: otto-db-29990101T000000Z"
            r"\.pgdump: its sha256 does not match its manifest",
            details,
        ), details
    finally:
        for key in (f"{damaged}.json", damaged):
            store.curl("-X", "DELETE", f"{url}/{key}")


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
    # the shape with depends_on conditions and healthchecks: as `docker compose config` reads it
    runs_as_compose_reads_it(lab, read_project(root, [], {**os.environ, "VERSION": "s1"}), "s1")


def runs_as_compose_reads_it(lab: labs.LabInfo, project: dict[str, Any], version: str) -> None:
    """Each app service of the project (as `docker compose config` printed it) runs on the
    server with its environment, command, healthcheck and (unless built) image."""
    name = project["x-dockyard"].get("service") or project["name"]
    for service, spec in project["services"].items():
        if service == "caddy":
            continue
        inspect = json.loads(on_server(lab, f"{lab.engine} inspect {name}-{service}-{version}"))
        config = inspect[0]["Config"]
        env = dict(item.split("=", 1) for item in config["Env"])
        assert {k: env.get(k) for k in spec.get("environment") or {}} == spec.get("environment", {})
        if spec.get("command"):
            assert config["Cmd"] == spec["command"], (service, config["Cmd"])
        if spec.get("healthcheck"):
            assert config["Healthcheck"]["Test"] == spec["healthcheck"]["test"], service
        if not spec.get("build"):
            assert config["Image"] == spec["image"], service


SHAPES_ON_ONE_ENGINE = (
    "the mapping is the same JSON for both engines (docker compose config, no daemon) and the "
    "boot is any deploy's: these shapes run once, on docker"
)
BUILT = """FROM {registry}/demo:v1
ARG GREETING=none
RUN echo "$GREETING" > /app/version
LABEL service=forms
"""


def shape_block(lab: labs.LabInfo, service: str, host: str) -> str:
    return f"""x-dockyard:
  service: {service}
  servers: [{lab.servers[0].ip}]
  registry: {{server: {lab.registry_host}, username: lab, password: [REGISTRY_PASSWORD]}}
  ssh: {{config: {lab.ssh_config}}}
  proxy: {{host: {host}, healthcheck: {{path: /up, interval: 1}}}}
  builder: {{remote: "ssh://root@{lab.builder.ip}"}}
  readiness_delay: 1
  runtime: {lab.engine}
  caddy: {{image: {lab.images["proxy"]}}}
"""


def test_a_project_with_build_is_built_and_deployed(
    lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if lab.engine != "docker":
        pytest.skip(SHAPES_ON_ONE_ENGINE)
    root = tmp_path_factory.mktemp("forms")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    (root / "Dockerfile").write_text(BUILT.format(registry=lab.registry_host))
    (root / "compose.yaml").write_text(
        shape_block(lab, "forms", "forms.test")
        + f"""services:
  web:
    build: {{context: ., args: {{GREETING: built-here}}}}
    image: {lab.registry_host}/forms
    ports: ["80"]
    environment: {{SERVICE: forms}}
"""
    )
    ok(root, "deploy", version="b1")  # built on the lab's builder, pushed, pulled
    assert get(lab.servers[0].ip, "forms.test")[1].strip() == "hello from forms built-here"
    project = read_project(root, [], {**os.environ, "VERSION": "b1"})
    assert project["services"]["web"]["build"]["args"] == {"GREETING": "built-here"}
    runs_as_compose_reads_it(lab, project, "b1")
    image = on_server(lab, "docker inspect --format '{{.Config.Image}}' forms-web-b1").strip()
    assert image == f"{lab.registry_host}/forms:b1"


def test_several_files_and_profiles_deploy_as_compose_merges_them(
    lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if lab.engine != "docker":
        pytest.skip(SHAPES_ON_ONE_ENGINE)
    push_version(lab, "multi", "m1", pad=0)
    root = tmp_path_factory.mktemp("multi")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    image = f'"{lab.registry_host}/multi:${{VERSION}}"'
    (root / "compose.yaml").write_text(
        shape_block(lab, "multi", "multi.test")
        + f"""services:
  web: {{image: {image}, ports: ["80"], environment: {{SERVICE: multi, TIER: base}}}}
  debug: {{image: {image}, profiles: [debug], command: ["sleep", "1d"]}}
  jobs:
    image: {image}
    profiles: [ops]
    command: ["sh", "-c", "{WORKER}"]
  conf:
    image: {lab.images["base"]}
    command: ["sleep", "1d"]
    volumes: ["./conf/app.conf:/etc/app.conf:ro", "/srv/multi-shared:/shared"]
    secrets: [token]
secrets: {{token: {{file: ./token.txt}}}}
"""
    )
    (root / "conf").mkdir()
    (root / "conf" / "app.conf").write_text("tier = prod\n")
    (root / "token.txt").write_text("t0ken\n")
    (root / "compose.prod.yaml").write_text("""services:
  web: {environment: {TIER: "${TIER:-prod}"}}
  jobs: {environment: {QUEUE: mail}}
""")
    env = {"COMPOSE_FILE": "compose.yaml:compose.prod.yaml", "COMPOSE_PROFILES": "ops"}
    done = dockyard_version(root, "m1", "deploy", env=env)
    assert done.returncode == 0, done.stderr
    assert get(lab.servers[0].ip, "multi.test")[1].strip() == "hello from multi m1"
    project = read_project(root, [], {**os.environ, **env, "VERSION": "m1"})
    assert sorted(project["services"]) == ["conf", "jobs", "web"]  # debug's profile: inactive
    assert project["services"]["web"]["environment"]["TIER"] == "prod"
    app = {k: v for k, v in project["services"].items() if k != "conf"}  # conf: an accessory
    runs_as_compose_reads_it(lab, {**project, "services": app}, "m1")
    assert not [c for c in containers(lab) if c.startswith("multi-debug")]
    # an accessory's bind of a project file and its file secret: uploaded and mounted; a bind
    # of a server path: that path
    booted = dockyard_version(root, "m1", "accessory", "boot", "conf", env=env)
    assert booted.returncode == 0, booted.stderr
    seen = on_server(lab, "docker exec multi-conf cat /etc/app.conf /run/secrets/token && "
                          "docker inspect --format '{{range .Mounts}}{{.Source}} {{end}}' "
                          "multi-conf")  # fmt: skip
    assert seen.splitlines()[:2] == ["tier = prod", "t0ken"], seen
    assert "/srv/multi-shared" in seen.splitlines()[2].split(), seen


def containers_ids(lab: labs.LabInfo, name: str) -> str:
    return on_server(lab, f"{lab.engine} inspect --format '{{{{.Id}}}}' {name}").strip()
