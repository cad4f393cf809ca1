"""x-dockyard/images: a role's own image repository (a dockyard extension; Kamal ignores x-
keys). Its containers run it at the app's version, pulled from the app's registry; a role
without one runs the app image, as in Kamal."""

from __future__ import annotations

import pytest

from dockyard.workflows.delivery.ship import role_images
from tests.unit.config.conftest import BASE, error_of, parse

APP = (
    BASE.replace("registry:\n", "registry:\n  server: registry.lab:5000\n")
    + """\
servers:
  web: [10.0.0.1, 10.0.0.2]
  worker: {hosts: [10.0.0.2, 10.0.0.3], cmd: bin/work}
  cron: {hosts: [10.0.0.3], cmd: bin/cron}
x-dockyard:
  images: {worker: me/worker, cron: me/worker}
"""
)


def test_a_role_runs_its_own_image_at_the_app_version() -> None:
    config = parse(APP)
    assert config.role_image("web") == "registry.lab:5000/me/app:v1" == config.absolute_image
    assert config.role_image("worker") == "registry.lab:5000/me/worker:v1"
    assert config.role_image("cron") == "registry.lab:5000/me/worker:v1"


def test_each_role_image_is_pulled_once_on_the_hosts_of_its_roles() -> None:
    config = parse(APP)
    pulls = role_images(config, config.roles, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    assert pulls == {"registry.lab:5000/me/worker:v1": ["10.0.0.2", "10.0.0.3"]}
    # -h and -r: only the selected hosts of the selected roles
    assert role_images(config, [config.role("cron")], ["10.0.0.2"]) == {}
    assert role_images(config, config.roles, ["10.0.0.2"]) == {
        "registry.lab:5000/me/worker:v1": ["10.0.0.2"]}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("images: {worker: me/worker, jobs: me/jobs}", "jobs is not a role of servers"),
        ("images: {worker: Me/Worker}", "has capital letters"),
        ("images: {worker: me/worker}\n  delivery: ssh", "needs delivery: registry"),
        ("images: {worker: me/worker}\n  backend: swarm", "not supported with backend: swarm"),
    ],
)
def test_a_role_image_the_servers_cannot_pull_is_refused(change: str, message: str) -> None:
    text = APP.replace("images: {worker: me/worker, cron: me/worker}", change)
    error = error_of(text)
    assert message in str(error)
    assert "x-dockyard/images/" in str(error)


def test_a_local_registry_is_refused() -> None:
    text = APP.replace("server: registry.lab:5000", "server: localhost:5555")
    assert "needs delivery: registry" in str(error_of(text))
