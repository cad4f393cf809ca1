"""Exact renders of the accessory commands."""

from dockyard.commands import accessory
from dockyard.config.model import Env, SecretRef
from dockyard.config.settings import Accessory, MountedPath
from dockyard.engine import DOCKER, PODMAN


def db() -> Accessory:
    return Accessory(
        name="db",
        service_name="shop-db",
        image="registry.lab:5000/postgres:15",
        hosts=("10.0.0.2",),
        cmd="postgres -c max_connections=50",
        port="127.0.0.1:5432:5432",
        labels={"team": "data"},
        options={"memory": "512m", "restart": "always", "init": True},
        env=Env(clear={"POSTGRES_USER": "shop"}, secrets=(SecretRef("POSTGRES_PASSWORD", "PG"),)),
        files=(MountedPath("db/notes.conf.erb", "/etc/shop/notes.conf", mode="0640"),),
        directories=(
            MountedPath("data", "/var/lib/postgresql/data"),
            MountedPath("/srv/dumps", "/dumps", options="ro"),
        ),
        volumes=("shared:/shared",),
    )


def spec() -> accessory.AccessoryRun:
    return accessory.AccessoryRun(
        db(), {"POSTGRES_USER": "shop", "KAMAL_HOST": "10.0.0.2"},
        accessory.env_file_path("shop", "db"), ["--log-opt", "max-size=10m"],
    )  # fmt: skip


def test_run_has_every_setting_in_kamals_order() -> None:
    assert accessory.run(DOCKER, spec()).render() == (
        "docker run --name shop-db --detach --restart always --network kamal"
        " --log-opt max-size=10m --publish 127.0.0.1:5432:5432"
        " --env POSTGRES_USER=shop --env KAMAL_HOST=10.0.0.2"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db.env"'
        ' --volume "$HOME/shop-db/etc/shop/notes.conf:/etc/shop/notes.conf"'
        ' --volume "$HOME/shop-db/data:/var/lib/postgresql/data"'
        " --volume /srv/dumps:/dumps:ro --volume shared:/shared"
        " --label service=shop-db --label team=data --memory 512m --init"
        " registry.lab:5000/postgres:15 postgres -c max_connections=50"
    )


def test_a_bare_port_is_published_on_both_sides() -> None:
    bare = Accessory(name="c", service_name="s-c", image="redis", hosts=("h",), port="6379")
    assert "--publish 6379:6379" in accessory.run(PODMAN, accessory.AccessoryRun(
        bare, {}, None)).render()  # fmt: skip


def test_directories_and_file_parents_are_made_once() -> None:
    assert accessory.make_directories(db()).render() == (
        'mkdir -p "$HOME/shop-db" "$HOME/shop-db/data" /srv/dumps "$HOME/shop-db/etc/shop"'
    )


def test_uploaded_files_get_their_mode_default_755() -> None:
    file = db().files[0]
    assert accessory.file_mode_owner(db(), file).render() == (
        'chmod 0640 "$HOME/shop-db/etc/shop/notes.conf"'
    )
    plain = MountedPath("a.txt", "/etc/a.txt", owner="999:999")
    assert accessory.file_mode_owner(db(), plain).render() == (
        'chmod 755 "$HOME/shop-db/etc/a.txt" && chown 999:999 "$HOME/shop-db/etc/a.txt"'
    )


def test_exec_in_a_new_container_keeps_env_network_and_mounts() -> None:
    rendered = accessory.exec_in_new(DOCKER, spec(), ["psql", "-c", "select 1"]).render()
    assert rendered.startswith("docker run --rm --network kamal --env POSTGRES_USER=shop")
    assert rendered.endswith("registry.lab:5000/postgres:15 psql -c 'select 1'")


def test_remove_takes_the_data_directory_and_env_file() -> None:
    assert accessory.remove_data(db(), accessory.env_file_path("shop", "db")).render() == (
        'rm -rf "$HOME/shop-db" "$HOME/.kamal/apps/shop/env/accessories/db.env"'
    )


def test_logs_and_details() -> None:
    assert accessory.logs(DOCKER, "shop-db", 20, "10m", True).render() == (
        "docker logs --tail 20 --since 10m --timestamps shop-db"
    )
    assert (
        accessory.details(DOCKER, "shop-db")
        .render()
        .startswith("docker ps --all --filter label=service=shop-db --format")
    )


def test_an_accessory_without_secrets_gets_an_empty_private_env_file() -> None:
    assert accessory.empty_env_file(".kamal/apps/shop/env/accessories/c.env").render() == (
        '(umask 077 && : > "$HOME/.kamal/apps/shop/env/accessories/c.env")'
    )


def test_cmd_is_split_as_a_shell_would() -> None:
    quoted = Accessory(name="w", service_name="s-w", image="img", hosts=("h",),
                       cmd="sh -c 'sleep 1; echo done'")  # fmt: skip
    assert (
        accessory.run(DOCKER, accessory.AccessoryRun(quoted, {}, None))
        .render()
        .endswith("img sh -c 'sleep 1; echo done'")
    )
