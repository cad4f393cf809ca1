"""The deploy plan from a config: boot groups, pauses, containers, routes and env files."""

from __future__ import annotations

import pytest

from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.plan.from_config import Selection, deploy_plan

BASE = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4]
  worker: {hosts: [10.0.0.4], cmd: "bin/work --queue 'high prio'"}
proxy: {host: demo.test, app_port: 3000}
env: {clear: {A: "1"}, secret: [SECRET_KEY]}
"""


def config(extra: str = "") -> Config:
    return parse_config([("config/deploy.yml", BASE + extra)], version="v2")


def plan_groups(extra: str) -> list[list[str]]:
    plan = deploy_plan(config(extra), {"SECRET_KEY": "s3cret"})
    return [[h.host for h in group] for group in plan.groups]


@pytest.mark.parametrize(
    ("boot", "groups", "wait"),
    [
        ("", [["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]], 0.0),
        ("boot: {limit: 2}", [["10.0.0.1", "10.0.0.2"], ["10.0.0.3", "10.0.0.4"]], 2.0),
        (
            "boot: {limit: 25%, wait: 5}",
            [["10.0.0.1"], ["10.0.0.2"], ["10.0.0.3"], ["10.0.0.4"]],
            5.0,
        ),
    ],
)
def test_boot_groups_and_the_pause_between_them(
    boot: str, groups: list[list[str]], wait: float
) -> None:
    plan = deploy_plan(config(boot), {"SECRET_KEY": "s3cret"})
    assert [[h.host for h in group] for group in plan.groups] == groups
    assert plan.boot_wait == wait  # Kamal's group runner waits 2 s when only a limit is set


def test_roles_per_host_primary_first_with_container_route_and_env_file() -> None:
    plan = deploy_plan(config(), {"SECRET_KEY": "s3cret"}, token="abc")
    last = plan.groups[0][-1]
    assert [r.role for r in last.roles] == ["web", "worker"]
    web, worker = last.roles
    assert web.container.name == "demo-web-v2"
    assert web.container.image == "registry.lab:5000/demo:v2"
    assert web.container.hostname == "10.0.0.4-abc"
    assert web.container.env["KAMAL_VERSION"] == "v2" and web.container.env["A"] == "1"
    assert web.env_file == "SECRET_KEY=s3cret\n" and "s3cret" not in repr(web.env_file)
    assert web.route is not None and web.route.hosts == ("demo.test",) and web.app_port == 3000
    assert worker.route is None
    assert list(worker.container.command) == ["bin/work", "--queue", "high prio"]
    assert plan.proxy_hosts == ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")


def test_a_proxied_role_with_an_asset_path_mounts_its_version_volume() -> None:
    extra = "volumes: [/data:/data]\nasset_path: /rails/public/assets/:ro\n"
    plan = deploy_plan(config(extra), {"SECRET_KEY": "x"}, selection=Selection(hosts=("10.0.0.4",)))
    web, worker = plan.boots_on("10.0.0.4")
    assert web.assets is not None
    assert web.assets.directory == ".dockyard/apps/demo/assets/web"
    assert web.assets.path == "/rails/public/assets"
    assert list(web.container.volumes) == [
        "/data:/data",
        ".dockyard/apps/demo/assets/web/volumes/v2:/rails/public/assets:ro,z",
    ]
    assert worker.assets is None and list(worker.container.volumes) == ["/data:/data"]
    staging = parse_config(
        [("config/deploy.yml", BASE + extra)], destination="staging", version="v2"
    )
    staged = deploy_plan(staging, {"SECRET_KEY": "x"}).boots_on("10.0.0.1")[0].assets
    assert staged is not None and staged.directory == ".dockyard/apps/demo-staging/assets/web"


def test_selection_by_role_and_host() -> None:
    plan = deploy_plan(config(), {"SECRET_KEY": "x"}, selection=Selection(roles=("work*",)))
    assert [h.host for g in plan.groups for h in g] == ["10.0.0.4"]
    assert plan.proxy_hosts == ()
    plan = deploy_plan(config(), {"SECRET_KEY": "x"}, selection=Selection(hosts=("10.0.0.[12]",)))
    assert plan.hosts == ("10.0.0.1", "10.0.0.2")


def test_primary_selection_is_kamals_primary_host_only() -> None:
    """Not the first host of every role: the worker's only host is not the primary host."""
    plan = deploy_plan(config(), {"SECRET_KEY": "x"}, selection=Selection(primary=True))
    assert [(h.host, [b.role for b in h.roles]) for g in plan.groups for h in g] == [
        ("10.0.0.1", ["web"])
    ]


def test_a_failed_check_names_the_key_that_set_the_path_and_the_port() -> None:
    plan = deploy_plan(config(), {"SECRET_KEY": "s3cret"})
    web = plan.groups[0][0].roles[0]
    assert (web.health.path, web.health_key) == ("/up", "proxy/healthcheck/path")
    assert (web.app_port, web.port_key) == (3000, "proxy/app_port")
    own = BASE.replace(
        "web: [10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4]",
        "web: {hosts: [10.0.0.1], proxy: {app_port: 8080, healthcheck: {path: /health}}}",
    )
    plan = deploy_plan(
        parse_config([("config/deploy.yml", own)], version="v2"), {"SECRET_KEY": "s"}
    )
    web = plan.groups[0][0].roles[0]
    assert (web.health.path, web.health_key) == ("/health", "servers/web/proxy/healthcheck/path")
    assert (web.app_port, web.port_key) == (8080, "servers/web/proxy/app_port")
