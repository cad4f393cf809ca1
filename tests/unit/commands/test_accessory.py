"""Exact renders of the accessory commands."""

from dockyard.commands import accessory
from dockyard.config.model import Env, SecretRef
from dockyard.config.settings import Accessory, MountedPath
from dockyard.engine import DOCKER, PODMAN
from dockyard.redaction import Secret


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


def test_directories_and_file_parents_are_made_once_under_a_closed_directory() -> None:
    assert accessory.make_directories(db()).render() == (
        'mkdir -p "$HOME/shop-db" "$HOME/shop-db/data" /srv/dumps "$HOME/shop-db/etc/shop" '
        '&& chmod 700 "$HOME/shop-db"'
    )


def test_a_directory_mounted_itself_keeps_its_mode() -> None:
    """The container sees the mode of a mounted directory: ~/<service> mounted whole stays."""
    whole = Accessory(name="c", service_name="s-c", image="redis", hosts=("h",),
                      directories=(MountedPath("./", "/data"),))  # fmt: skip
    assert accessory.make_directories(whole).render() == 'mkdir -p "$HOME/s-c" "$HOME/s-c/./"'


def test_uploaded_files_get_their_mode_default_755() -> None:
    file = db().files[0]
    assert accessory.file_mode_owner(db(), file).render() == (
        'chmod 0640 "$HOME/shop-db/etc/shop/notes.conf"'
    )
    plain = MountedPath("a.txt", "/etc/a.txt", owner="999:999")
    assert accessory.file_mode_owner(db(), plain).render() == (
        'chmod 755 "$HOME/shop-db/etc/a.txt" && chown 999:999 "$HOME/shop-db/etc/a.txt"'
    )


def test_a_file_rendered_from_secrets_is_600_unless_its_mode_is_given() -> None:
    plain = MountedPath("a.txt.erb", "/etc/a.txt", owner="999:999")
    assert accessory.file_mode_owner(db(), plain, from_secrets=True).render() == (
        'chmod 600 "$HOME/shop-db/etc/a.txt" && chown 999:999 "$HOME/shop-db/etc/a.txt"'
    )
    given = db().files[0]
    assert accessory.file_mode_owner(db(), given, from_secrets=True).render() == (
        'chmod 0640 "$HOME/shop-db/etc/shop/notes.conf"'
    )


def test_exec_in_a_new_container_keeps_env_network_and_mounts() -> None:
    rendered = accessory.exec_in_new(DOCKER, spec(), ["psql", "-c", "select 1"]).render()
    assert rendered.startswith("docker run --rm --network kamal --env POSTGRES_USER=shop")
    assert rendered.endswith("registry.lab:5000/postgres:15 psql -c 'select 1'")


def test_remove_takes_the_data_directory_and_env_file() -> None:
    assert accessory.remove_data(db(), accessory.env_file_path("shop", "db")).render() == (
        'rm -rf "$HOME/shop-db" "$HOME/.kamal/apps/shop/env/accessories/db.env"'
    )


def test_details() -> None:
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


def test_run_on_podman_with_a_bare_port_and_nothing_else() -> None:
    bare = Accessory(name="c", service_name="s-c", image="redis", hosts=("h",), port="6379")
    assert accessory.run(PODMAN, accessory.AccessoryRun(bare, {}, None)).render() == (
        "podman run --name s-c --detach --restart unless-stopped --network kamal"
        " --publish 6379:6379 --label service=s-c redis"
    )


def test_env_values_and_cmd_words_are_quoted() -> None:
    odd = Accessory(name="w", service_name="s-w", image="img", hosts=("h",), network="my net",
                    cmd="sh -c 'echo \"$HOME\"; exit 0'")  # fmt: skip
    run = accessory.AccessoryRun(odd, {"A": "$(x)", "B": "it's", "C": "two\nlines"}, None)
    assert accessory.run(DOCKER, run).render() == (
        "docker run --name s-w --detach --restart unless-stopped --network 'my net'"
        " --env 'A=$(x)' --env 'B=it'\"'\"'s' --env 'C=two\nlines' --label service=s-w"
        " img sh -c 'echo \"$HOME\"; exit 0'"
    )


def test_directories_get_a_mode_and_owner_only_when_given() -> None:
    data = MountedPath("data", "/var/lib/data", mode="0700", owner="999:999")
    assert accessory.directory_mode_owner(db(), data).render() == (
        'chmod 0700 "$HOME/shop-db/data" && chown 999:999 "$HOME/shop-db/data"'
    )
    absolute = MountedPath("/srv/x", "/x", owner="1:1")
    assert accessory.directory_mode_owner(db(), absolute).render() == "chown 1:1 /srv/x"
    assert accessory.directory_mode_owner(db(), MountedPath("d", "/d")) is None


def test_container_exists_prints_name_and_state() -> None:
    assert accessory.container_exists(PODMAN, "shop-db").render() == (
        "podman ps --all --filter 'name=^shop-db$' --format '{{.Names}}\t{{.State}}'"
    )


def test_details_exact() -> None:
    assert accessory.details(DOCKER, "shop-db").render() == (
        "docker ps --all --filter label=service=shop-db"
        " --format '{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}'"
    )


def test_exec_in_the_running_container_quotes_each_word() -> None:
    command = ["psql", "-c", "select '$(x)'"]
    assert accessory.exec_in_running(DOCKER, "shop-db", command).render() == (
        "docker exec shop-db psql -c 'select '\"'\"'$(x)'\"'\"''"
    )


def test_exec_in_a_new_container_exact() -> None:
    assert accessory.exec_in_new(DOCKER, spec(), ["psql", "-c", "select 1"]).render() == (
        "docker run --rm --network kamal --env POSTGRES_USER=shop --env KAMAL_HOST=10.0.0.2"
        ' --env-file "$HOME/.kamal/apps/shop/env/accessories/db.env"'
        ' --volume "$HOME/shop-db/etc/shop/notes.conf:/etc/shop/notes.conf"'
        ' --volume "$HOME/shop-db/data:/var/lib/postgresql/data"'
        " --volume /srv/dumps:/dumps:ro --volume shared:/shared"
        " registry.lab:5000/postgres:15 psql -c 'select 1'"
    )


def test_stop_and_remove() -> None:
    assert accessory.stop(DOCKER, "shop-db").render() == "docker stop shop-db || true"
    assert accessory.remove_container(PODMAN, "shop-db").render() == "podman rm --force shop-db"
    assert accessory.remove_image(DOCKER, "postgres:15").render() == (
        "docker image rm --force postgres:15 || true"
    )


def test_pull_quietly() -> None:
    assert accessory.pull(PODMAN, "postgres:15").render() == "podman pull --quiet postgres:15"


def test_registry_login_shows_the_password_only_to_the_server() -> None:
    login = accessory.registry_login(DOCKER, "r.example", "ann", Secret("p w'd"))
    assert login.render() == ("docker login r.example --username ann --password 'p w'\"'\"'d'")
    assert login.render(redact=True) == (
        "docker login r.example --username ann --password [REDACTED]"
    )
