"""Exact renders of the prune commands."""

from dockyard.commands import prune
from dockyard.engine import DOCKER, PODMAN


def test_images_prunes_the_dangling_ones_then_the_unused_ones_as_one_command() -> None:
    # the unused images' loop is one brace group: a failed `image prune` stops it and is reported
    assert prune.images(DOCKER, "shop").render() == (
        "docker image prune --force --filter label=service=shop >/dev/null && "
        "{ used=$(docker ps --all --filter label=service=shop --format '{{.Image}}'); "
        "docker images --filter label=service=shop --format '{{.Repository}}:{{.Tag}}' | "
        "while read image; do "
        'case "$image" in *:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'docker rmi "$image" >/dev/null && echo "removed $image"; done; true; }'
    )


def test_images_on_podman() -> None:
    assert prune.images(PODMAN, "shop").render() == (
        "podman image prune --force --filter label=service=shop >/dev/null && "
        "{ used=$(podman ps --all --filter label=service=shop --format '{{.Image}}'); "
        "podman images --filter label=service=shop --format '{{.Repository}}:{{.Tag}}' | "
        "while read image; do "
        'case "$image" in *:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'podman rmi "$image" >/dev/null && echo "removed $image"; done; true; }'
    )


def test_dangling_images_of_the_service_go_quietly() -> None:
    assert prune.dangling_images(DOCKER, "shop").render() == (
        "docker image prune --force --filter label=service=shop >/dev/null"
    )


def test_unused_images_keep_latest_and_every_image_a_container_was_made_from() -> None:
    assert prune.unused_images(DOCKER, "shop").render() == (
        "{ used=$(docker ps --all --filter label=service=shop --format '{{.Image}}'); "
        "docker images --filter label=service=shop --format '{{.Repository}}:{{.Tag}}' | "
        "while read image; do "
        'case "$image" in *:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'docker rmi "$image" >/dev/null && echo "removed $image"; done; true; }'
    )


def test_a_service_name_is_quoted_in_the_label_filter() -> None:
    assert prune.unused_images(PODMAN, "a b").render() == (
        "{ used=$(podman ps --all --filter 'label=service=a b' --format '{{.Image}}'); "
        "podman images --filter 'label=service=a b' --format '{{.Repository}}:{{.Tag}}' | "
        "while read image; do "
        'case "$image" in *:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'podman rmi "$image" >/dev/null && echo "removed $image"; done; true; }'
    )
    assert prune.dangling_images(DOCKER, "$(x)").render() == (
        "docker image prune --force --filter 'label=service=$(x)' >/dev/null"
    )


def test_stopped_containers_beyond_the_newest_n_docker() -> None:
    assert prune.containers(DOCKER, "shop", "staging", 3).render() == (
        "docker ps --quiet --all --filter label=service=shop --filter label=destination=staging"
        " --filter status=created --filter status=exited --filter status=dead | tail -n +4"
        ' | while read id; do docker rm "$id" >/dev/null && echo "removed container $id"; done'
    )


def test_stopped_containers_beyond_the_newest_n_podman() -> None:
    # podman lists oldest first only, and has no `dead` state
    assert prune.containers(PODMAN, "shop", None, 0).render() == (
        "podman ps --quiet --all --filter label=service=shop --filter status=created"
        " --filter status=exited --sort created | tac | tail -n +1"
        ' | while read id; do podman rm "$id" >/dev/null && echo "removed container $id"; done'
    )
