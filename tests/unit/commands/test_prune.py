"""Exact renders of the prune commands (what they do in a shell: test_prune_shell.py)."""

from dockyard.commands import prune
from dockyard.engine import DOCKER, PODMAN


def test_stopped_containers_beyond_the_newest_n_of_each_role_docker() -> None:
    # newest by when each stopped (or was made, if it never ran): a rollback restarts a kept
    # container, so the order they were made in is not the order they served in; one set aside
    # by a redeploy of its version (`_replaced_`) is no version to roll back to, and goes
    assert prune.containers(DOCKER, "shop", "staging", 3).render() == (
        "{ ids=$(docker ps --quiet --all --filter label=service=shop "
        "--filter label=destination=staging "
        "--filter status=created --filter status=exited --filter status=dead) && "
        'stopped=$([ -z "$ids" ] || docker inspect --type container --format '
        "'{{.State.FinishedAt}} {{.Created}} {{.ID}} {{.Name}} "
        '{{index .Config.Labels "role"}} {{index .Config.Labels "destination"}}\' $ids) && '
        "printf '%s\\n' \"$stopped\" | "
        "awk 'NF { t = $1; if ($2 > t) t = $2; print t, $0 }' | LC_ALL=C sort -r | "
        "awk -v keep=3 '{ id = substr($4, 1, 12); aside = $5 ~ /_replaced_/; "
        '$1 = $2 = $3 = $4 = $5 = ""; if (aside || ++kept[$0] > keep) print id }\' | '
        '{ failed=0; while read id; do docker rm "$id" >/dev/null && '
        'echo "removed container $id" || failed=1; done; [ "$failed" = 0 ]; }; }'
    )


def test_stopped_containers_on_podman_have_no_dead_state_and_times_formatted() -> None:
    assert prune.containers(PODMAN, "shop", None, 3).render() == (
        "{ ids=$(podman ps --quiet --all --filter label=service=shop "
        "--filter status=created --filter status=exited) && "
        'stopped=$([ -z "$ids" ] || podman inspect --type container --format '
        '\'{{.State.FinishedAt.UTC.Format "2006-01-02T15:04:05.000000000Z"}} '
        '{{.Created.UTC.Format "2006-01-02T15:04:05.000000000Z"}} {{.ID}} {{.Name}} '
        '{{index .Config.Labels "role"}} {{index .Config.Labels "destination"}}\' $ids) && '
        "printf '%s\\n' \"$stopped\" | "
        "awk 'NF { t = $1; if ($2 > t) t = $2; print t, $0 }' | LC_ALL=C sort -r | "
        "awk -v keep=3 '{ id = substr($4, 1, 12); aside = $5 ~ /_replaced_/; "
        '$1 = $2 = $3 = $4 = $5 = ""; if (aside || ++kept[$0] > keep) print id }\' | '
        '{ failed=0; while read id; do podman rm "$id" >/dev/null && '
        'echo "removed container $id" || failed=1; done; [ "$failed" = 0 ]; }; }'
    )


def test_dangling_images_of_the_service_go_quietly() -> None:
    assert prune.dangling_images(DOCKER, "shop").render() == (
        "docker image prune --force --filter label=service=shop >/dev/null"
    )


def test_unused_images_keep_latest_and_every_image_any_container_was_made_from() -> None:
    assert prune.unused_images(DOCKER, "shop").render() == (
        "{ used=$(docker ps --all --format '{{.Image}}') && "
        "images=$(docker images --filter label=service=shop --format '{{.Repository}}:{{.Tag}}')"
        " && printf '%s\\n' \"$images\" | "
        "{ failed=0; while read image; do "
        'case "$image" in ""|*:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'docker rmi "$image" >/dev/null && echo "removed $image" || failed=1; done; '
        '[ "$failed" = 0 ]; }; }'
    )


def test_images_prunes_the_dangling_ones_then_the_unused_ones_as_one_command() -> None:
    assert prune.images(PODMAN, "shop").render() == (
        "podman image prune --force --filter label=service=shop >/dev/null && "
        "{ used=$(podman ps --all --format '{{.Image}}') && "
        "images=$(podman images --filter label=service=shop --format '{{.Repository}}:{{.Tag}}')"
        " && printf '%s\\n' \"$images\" | "
        "{ failed=0; while read image; do "
        'case "$image" in ""|*:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'podman rmi "$image" >/dev/null && echo "removed $image" || failed=1; done; '
        '[ "$failed" = 0 ]; }; }'
    )


def test_a_service_name_is_quoted_in_the_label_filter() -> None:
    assert prune.dangling_images(DOCKER, "$(x)").render() == (
        "docker image prune --force --filter 'label=service=$(x)' >/dev/null"
    )
    rendered = prune.unused_images(PODMAN, "a b").render()
    assert "podman images --filter 'label=service=a b' --format" in rendered


def test_reported_runs_the_parts_after_a_marker_and_turns_a_failure_into_a_line() -> None:
    assert prune.reported(prune.dangling_images(DOCKER, "shop")).render() == (
        "echo '--- dockyard: prune ---' && "
        "({ docker image prune --force --filter label=service=shop >/dev/null; } 2>&1 || "
        'echo "--- dockyard: prune failed, exit $?")'
    )
