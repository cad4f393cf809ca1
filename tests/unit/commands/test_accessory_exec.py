"""Exact renders of `accessory exec` with a terminal (`-i`): the same commands with -it."""

from dockyard.commands import accessory
from dockyard.config.model import Env
from dockyard.config.settings import Accessory
from dockyard.engine import DOCKER, PODMAN


def spec() -> accessory.AccessoryRun:
    db = Accessory(
        name="db", service_name="shop-db", image="postgres:15", hosts=("10.0.0.2",),
        env=Env(clear={"POSTGRES_USER": "shop"}),
    )  # fmt: skip
    env_file = accessory.env_file_path("shop", "db")
    return accessory.AccessoryRun(db, {"KAMAL_HOST": "10.0.0.2"}, env_file)


def test_exec_in_the_running_container() -> None:
    assert accessory.exec_in_running(DOCKER, "shop-db", ["psql", "-c", "select 1"]).render() == (
        "docker exec shop-db psql -c 'select 1'"
    )
    assert accessory.exec_in_running(PODMAN, "shop-db", ["psql"], interactive=True).render() == (
        "podman exec -it shop-db psql"
    )


def test_exec_in_a_new_container_with_a_terminal() -> None:
    assert accessory.exec_in_new(DOCKER, spec(), ["psql"], interactive=True).render() == (
        "docker run -it --rm --network kamal --env KAMAL_HOST=10.0.0.2"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db.env" postgres:15 psql'
    )
