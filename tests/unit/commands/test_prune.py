"""Exact renders of the prune commands."""

from dockyard.commands import prune
from dockyard.engine import DOCKER


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
