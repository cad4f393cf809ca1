"""The typed objects and the names and values derived from them."""

from __future__ import annotations

import dataclasses

import pytest

from dockyard.config.model import AssetPath, Env, Host, SecretRef
from dockyard.engine import DOCKER
from tests.unit.config.conftest import BASE, parse

ROLES = (
    BASE
    + """\
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2: [canary, eu]
  workers:
    hosts: [2.2.2.2]
    cmd: bin/jobs
    env:
      clear: {QUEUE: all}
      secret: [JOB_TOKEN]
    labels: {team: jobs}
    logging: {options: {max-file: "3"}}
  api:
    hosts: [3.3.3.3]
    proxy:
      host: api.example.com
      app_port: 3000
      healthcheck: {path: /health}
env:
  clear: {A: 1, FLAG: true}
  secret: [DB_PASSWORD:MAIN_DB_PASSWORD, TOKEN]
  tags:
    canary: {clear: {A: canary}}
    eu: {EU: "yes"}
labels: {app: demo}
logging: {driver: json-file, options: {max-size: 5m}}
proxy:
  host: example.com
  response_timeout: 60
"""
)


def test_roles_are_sorted_and_the_primary_is_web() -> None:
    config = parse(ROLES)
    assert [role.name for role in config.roles] == ["api", "web", "workers"]
    assert config.primary_role is not None and config.primary_role.name == "web"
    assert config.primary_host == "1.1.1.1"
    assert config.role("web").hosts == (Host("1.1.1.1"), Host("1.1.1.2", ("canary", "eu")))
    assert config.all_hosts == ("3.3.3.3", "1.1.1.1", "1.1.1.2", "2.2.2.2")
    assert config.hosts_with_tag("eu") == ("1.1.1.2",)
    assert config.hosts_for_roles(["workers", "api"]) == ("3.3.3.3", "2.2.2.2")


def test_names_with_and_without_destination() -> None:
    config = parse(ROLES)
    assert config.container_name("web") == "app-web-v1"
    assert config.proxy_service_name("workers") == "app-workers"
    assert (config.repository, config.absolute_image) == ("me/app", "me/app:v1")
    assert config.latest_image == "me/app:latest"
    staged = dataclasses.replace(config, destination="staging")
    assert staged.container_name("web", "v2") == "app-web-staging-v2"
    assert staged.proxy_service_name("web") == "app-web-staging"
    assert staged.latest_tag == "latest-staging"
    assert staged.service_and_destination == "app-staging"


def test_proxy_only_for_primary_and_roles_that_ask() -> None:
    config = parse(ROLES)
    web, api = config.role("web").proxy, config.role("api").proxy
    assert config.role("workers").proxy is None
    assert web is not None and api is not None
    assert (web.hosts, web.app_port, web.response_timeout) == (("example.com",), 80, 60)
    assert web.healthcheck.path == "/up" and web.healthcheck.interval == 1
    assert (api.hosts, api.app_port, api.response_timeout) == (("api.example.com",), 3000, 60)
    assert api.healthcheck.path == "/health" and api.healthcheck.timeout == 5
    assert web.forward_headers and not web.ssl
    assert [r.name for r in config.proxy_roles] == ["api", "web"]


def test_assets_only_for_proxied_roles_as_in_kamal() -> None:
    config = parse(ROLES + "asset_path: /rails/public/assets\n")
    assert config.role("web").assets == AssetPath("/rails/public/assets")
    assert config.role("api").assets == AssetPath("/rails/public/assets")
    assert config.role("workers").asset_path == "/rails/public/assets"
    assert config.role("workers").assets is None  # not proxied: only one version runs at a time
    own = parse(BASE + "servers:\n  web: {hosts: [a], asset_path: '/public:ro,z'}\n")
    assert own.role("web").assets == AssetPath("/public", "ro,z")
    assert parse(BASE + "servers: [a]\n").role("web").assets is None


def test_primary_role_can_opt_out_and_ssl_turns_off_forwarded_headers() -> None:
    config = parse(BASE + "servers:\n  web: {hosts: [a], proxy: false}\n")
    assert config.role("web").proxy is None
    config = parse(BASE + "servers: [a]\nproxy: {host: 'a.com,b.com', ssl: true}\n")
    proxy = config.role("web").proxy
    assert proxy is not None and proxy.ssl and not proxy.forward_headers
    assert proxy.hosts == ("a.com", "b.com") and proxy.ssl_redirect


def test_env_per_host_merges_root_role_and_tags() -> None:
    config = parse(ROLES)
    env = config.env_for("web", "1.1.1.2")
    assert env.clear == {"A": "canary", "FLAG": "true", "EU": "yes"}
    assert env.secrets == (
        SecretRef("DB_PASSWORD", "MAIN_DB_PASSWORD"),
        SecretRef("TOKEN", "TOKEN"),
    )
    assert config.env_for("web", "1.1.1.1").clear == {"A": "1", "FLAG": "true"}
    workers = config.env_for("workers", "2.2.2.2")
    assert workers.clear["QUEUE"] == "all"
    assert workers.secret_names == ("MAIN_DB_PASSWORD", "TOKEN", "JOB_TOKEN")


def test_labels_logging_and_cmd() -> None:
    config = parse(ROLES)
    assert config.labels_for("workers") == {
        "service": "app", "role": "workers", "destination": "", "app": "demo", "team": "jobs",
    }  # fmt: skip
    staged = dataclasses.replace(config, destination="beta")
    assert staged.labels_for("web")["destination"] == "beta"
    workers = config.role("workers")
    assert workers.cmd == "bin/jobs"
    assert workers.logging.driver == "json-file"
    assert workers.logging.options == {"max-size": "5m", "max-file": "3"}
    assert parse(BASE + "servers: [a]\n").role("web").logging.effective_options == {
        "max-size": "10m"
    }


def test_defaults_follow_kamal() -> None:
    config = parse(BASE + "servers: [a]\n")
    assert (config.retain_containers, config.readiness_delay) == (5, 7)
    assert (config.deploy_timeout, config.drain_timeout) == (30, 30)
    assert (config.hooks_path, config.secrets_path) == (".kamal/hooks", ".kamal/secrets")
    assert (config.ssh.user, config.ssh.port, config.ssh.log_level) == ("root", 22, "fatal")
    assert (config.sshkit.max_concurrent_starts, config.sshkit.pool_idle_timeout) == (30, 900)
    assert config.builder.arch == ("amd64",) and config.builder.git_clone
    assert config.builder.dockerfile == "Dockerfile"
    assert config.stop_timeout_for("web") == 10
    assert (config.runtime, config.dockyard.proxy_image) == (DOCKER, "caddy:2.11")
    assert config.boot_limit() == 1
    assert config.registry.username is not None and config.registry.username.literal == "me"
    assert config.registry.password is not None
    assert config.registry.password.secret == "KAMAL_REGISTRY_PASSWORD"


def test_local_registry_defaults_image_to_service() -> None:
    config = parse("service: app\nregistry: {server: 'localhost:5555'}\n"
                   "builder: {arch: arm64}\nservers: [a]\n")  # fmt: skip
    assert config.registry.local and config.registry.local_port == 5555
    assert config.image == "app" and config.absolute_image == "localhost:5555/app:v1"


@pytest.mark.parametrize(("limit", "hosts", "expected"), [("25%", 10, 2), ("1%", 3, 1), (3, 10, 3)])
def test_boot_limit(limit: str | int, hosts: int, expected: int) -> None:
    servers = "".join(f"  - h{i}\n" for i in range(hosts))
    config = parse(BASE + f"servers:\n{servers}boot: {{limit: '{limit}'}}\n")
    assert config.boot_limit() == expected


def test_accessories() -> None:
    config = parse(ROLES + """\
accessories:
  db:
    image: mysql:8
    role: workers
    port: 3306
    env: {secret: [MYSQL_PASSWORD]}
    files: [config/my.cnf:/etc/mysql/my.cnf:ro, {local: a, remote: /b, mode: '0600'}]
  cache:
    service: redis
    image: redis
    registry: {server: ghcr.io, username: u, password: [P]}
    tags: [eu]
    proxy: {host: cache.example.com}
""")  # fmt: skip
    db, cache = config.accessory("db"), config.accessory("cache")
    assert (db.service_name, db.hosts, db.published_port) == ("app-db", ("2.2.2.2",), "3306:3306")
    assert db.env == Env(secrets=(SecretRef("MYSQL_PASSWORD", "MYSQL_PASSWORD"),))
    assert db.files[0].options == "ro" and db.files[1].mode == "0600"
    assert (cache.service_name, cache.image, cache.hosts) == (
        "redis",
        "ghcr.io/redis",
        ("1.1.1.2",),
    )
    assert cache.proxy is not None and cache.proxy.hosts == ("cache.example.com",)
    assert config.proxy_hosts == ("3.3.3.3", "1.1.1.1", "1.1.1.2")


def test_destination_file_deep_merges_over_base() -> None:
    config = parse(
        ROLES,
        destination="staging",
        extra="servers:\n  web: [9.9.9.9]\nenv:\n  clear: {A: staged}\nproxy: {host: s.example}\n",
    )
    assert config.role("web").host_names == ("9.9.9.9",)
    assert config.role("workers").cmd == "bin/jobs"
    assert config.env.clear == {"A": "staged", "FLAG": "true"}
    assert config.env.secret_names == ("MAIN_DB_PASSWORD", "TOKEN")
    web = config.role("web").proxy
    assert web is not None and web.hosts == ("s.example",) and web.response_timeout == 60
    assert config.container_name("web") == "app-web-staging-v1"


def test_anchors_and_merge_keys_build_roles() -> None:
    config = parse(BASE + """\
x-role: &role
  cmd: bin/run
  hosts: [a]
servers:
  web:
    <<: *role
    cmd: bin/web
  jobs:
    <<: *role
""")  # fmt: skip
    assert config.role("web").cmd == "bin/web"
    assert config.role("jobs").cmd == "bin/run" and config.role("jobs").host_names == ("a",)


def test_repeated_hosts_once_and_bare_numbers_skipped_as_in_kamal() -> None:
    config = parse(BASE + "servers:\n  - 1.1.1.1\n  - 1234\n  - 2.2.2.2\n  - 1.1.1.1: [a]\n")
    assert config.role("web").hosts == (Host("1.1.1.1", ("a",)), Host("2.2.2.2"))


def test_tag_envs_apply_in_the_order_of_the_host_tags() -> None:
    config = parse(BASE + """\
servers:
  - 1.1.1.1: [second, first]
env:
  tags:
    first: {X: from-first}
    second: {X: from-second}
""")  # fmt: skip
    assert config.env_for("web", "1.1.1.1").clear == {"X": "from-first"}


def test_literal_secrets_never_show_in_repr() -> None:
    config = parse(
        BASE.replace("password: [KAMAL_REGISTRY_PASSWORD]", "password: hunter2-literal")
        + "servers: [a]\nssh:\n  key_data: ['-----BEGIN KEY----- pem-bytes', KEY_NAME]\n"
    )
    assert "hunter2-literal" not in repr(config)
    assert "pem-bytes" not in repr(config)
    assert config.registry.password is not None
    assert config.registry.password.literal == "hunter2-literal"  # the value itself is there
    assert config.ssh.key_data[1] == "KEY_NAME"


def test_every_secret_name_the_config_uses() -> None:
    config = parse(ROLES + """\
ssh: {key_data: [SSH_KEY]}
builder: {arch: amd64, secrets: [GITHUB_TOKEN]}
accessories:
  db:
    image: pg
    host: d
    env: {secret: [PG_PASSWORD]}
    registry: {server: r.io, username: u, password: [R]}
""")  # fmt: skip
    assert config.secret_names == (
        "MAIN_DB_PASSWORD", "TOKEN", "JOB_TOKEN", "PG_PASSWORD", "KAMAL_REGISTRY_PASSWORD", "R",
        "GITHUB_TOKEN", "SSH_KEY",
    )  # fmt: skip


def test_hook_output_globally_or_per_hook() -> None:
    per_hook = parse(BASE + "servers: [a]\nhooks_output:\n  pre-deploy: :verbose\n")
    assert (per_hook.hook_output("pre-deploy"), per_hook.hook_output("pre-build")) == (
        "verbose", None,
    )  # fmt: skip
    assert parse(BASE + "servers: [a]\nhooks_output: quiet\n").hook_output("x") == "quiet"


def test_backup_settings_are_typed_on_the_config() -> None:
    config = parse(
        BASE
        + "servers: [1.1.1.1]\naccessories:\n  db: {image: postgres:15, host: 1.1.1.1}\n"
        + "x-dockyard:\n  backups:\n    db: {kind: postgres, schedule: '0 3 * * *', keep: 3}\n"
    )
    settings = config.backups_of("db")
    assert settings is not None
    assert (settings.kind, settings.keep, settings.schedule and settings.schedule.text) == (
        "postgres",
        3,
        "0 3 * * *",
    )
    assert config.backups_of("web") is None
