"""Exact renders of what `remove` runs on a host besides each part's own removal."""

from dockyard.commands import proxy, remove
from dockyard.commands.app import label_filters
from dockyard.engine import DOCKER, PODMAN


def test_the_apps_containers_images_and_files() -> None:
    filters = label_filters("demo", destination="staging")
    files = [".dockyard/apps/demo-staging", ".dockyard/proxy/certs/demo-web-staging.pem"]
    assert remove.app_containers_images_files(PODMAN, filters, "demo", files).render() == (
        "{ ids=$(podman ps --all --quiet --filter label=service=demo"
        " --filter label=destination=staging);"
        ' [ -z "$ids" ] || podman rm --force $ids >/dev/null; }'
        " && { imgs=$(podman images --quiet --filter label=service=demo);"
        ' [ -z "$imgs" ] || podman rmi --force $imgs >/dev/null 2>&1 || true; }'
        ' && rm -rf "$HOME/.dockyard/apps/demo-staging"'
        ' "$HOME/.dockyard/proxy/certs/demo-web-staging.pem"'
    )


def test_the_proxys_image_then_its_removal() -> None:
    assert proxy.image_of(PODMAN).render() == (
        "podman inspect --format '{{.Config.Image}}' dockyard-proxy"
    )
    assert remove.image(DOCKER, "registry.lab:5000/caddy:2.11").render() == (
        "docker image rm registry.lab:5000/caddy:2.11"
    )


def test_the_network_once_nothing_is_on_it() -> None:
    assert remove.network_if_unused(DOCKER).render() == (
        "if [ -n \"$(docker ps --all --quiet --filter network=kamal)\" ]; then echo 'in use';"
        " elif docker network inspect kamal >/dev/null 2>&1;"
        " then docker network rm kamal >/dev/null && echo removed; else echo absent; fi"
    )


def test_the_apps_folder_then_the_shared_ones_left_empty() -> None:
    assert remove.app_folders("demo-staging").render() == (
        'rm -rf "$HOME/.kamal/apps/demo-staging" && { rmdir "$HOME/.kamal/apps" "$HOME/.kamal"'
        ' "$HOME/.dockyard/apps" "$HOME/.dockyard/accessories" 2>/dev/null || true; }'
    )


def test_what_is_present_of_paths_and_volumes() -> None:
    paths = [".dockyard/demo-audit.log", "/var/backups/db"]
    assert remove.present(paths, ["dockyard-proxy-data"], PODMAN).render() == (
        "for p in .dockyard/demo-audit.log /var/backups/db;"
        ' do case "$p" in /*) f="$p";; *) f="$HOME/$p";; esac; [ ! -e "$f" ] || echo "$p"; done;'
        " { podman volume inspect --format '{{.Name}}' dockyard-proxy-data 2>/dev/null || true; }"
    )
    assert remove.present([], [], DOCKER).render() == "true"
