"""Exact renders of the asset-bridging commands (commands/assets.py). The role's directory is
short here (`a/web`); plan/from_config gives `.dockyard/apps/<service>/assets/<role>`."""

from dockyard.commands.assets import (
    RoleAssets,
    extract,
    fill_volumes,
    mount_options,
    prepare,
    retire,
)
from dockyard.engine import DOCKER, PODMAN

WEB = RoleAssets("a/web", "/rails/public/assets", "z")


def test_where_a_version_is_mounted() -> None:
    assert WEB.extracted("v2") == "a/web/extracted/v2"
    assert WEB.mount("v2") == "a/web/volumes/v2:/rails/public/assets:z"


def test_z_is_added_unless_a_label_option_is_given() -> None:
    assert mount_options(None) == "z"
    assert mount_options("ro") == "ro,z"
    assert mount_options("ro,Z") == "ro,Z"
    assert mount_options("z") == "z"


def test_extract_copies_the_assets_out_of_a_container_never_started() -> None:
    assert extract(DOCKER, WEB, "registry.lab:5000/demo:v2", "v2").render() == (
        'rm -rf "$HOME/a/web/extracted/v2" && mkdir -p "$HOME/a/web/extracted/v2" && '
        "id=$(docker container create registry.lab:5000/demo:v2) && "
        '{ docker container cp "$id":/rails/public/assets/. "$HOME/a/web/extracted/v2" '
        '>/dev/null; copied=$?; docker container rm --volumes "$id" >/dev/null; '
        '[ "$copied" = 0 ]; } && '
        'chmod -R a+rX "$HOME/a/web/extracted/v2"'
    )


def test_extract_with_podman() -> None:
    assert extract(PODMAN, WEB, "registry.lab:5000/demo:v2", "v2").render() == (
        'rm -rf "$HOME/a/web/extracted/v2" && mkdir -p "$HOME/a/web/extracted/v2" && '
        "id=$(podman container create registry.lab:5000/demo:v2) && "
        '{ podman container cp "$id":/rails/public/assets/. "$HOME/a/web/extracted/v2" '
        '>/dev/null; copied=$?; podman container rm --volumes "$id" >/dev/null; '
        '[ "$copied" = 0 ]; } && '
        'chmod -R a+rX "$HOME/a/web/extracted/v2"'
    )


def test_extract_quotes_a_path_with_spaces() -> None:
    spaced = RoleAssets("a/web", "/srv/my assets")
    assert extract(DOCKER, spaced, "demo:v2", "v2").render() == (
        'rm -rf "$HOME/a/web/extracted/v2" && mkdir -p "$HOME/a/web/extracted/v2" && '
        "id=$(docker container create demo:v2) && "
        '{ docker container cp "$id":\'/srv/my assets/.\' "$HOME/a/web/extracted/v2" '
        '>/dev/null; copied=$?; docker container rm --volumes "$id" >/dev/null; '
        '[ "$copied" = 0 ]; } && '
        'chmod -R a+rX "$HOME/a/web/extracted/v2"'
    )


def test_fill_volumes_own_files_first_then_the_others_and_the_others_get_these() -> None:
    assert fill_volumes(WEB, "v2").render() == (
        'mkdir -p "$HOME/a/web/volumes/v2" && '
        'tar -C "$HOME/a/web/extracted/v2" -cf - . | '
        'tar -C "$HOME/a/web/volumes/v2" --skip-old-files -xf - && '
        '( for dir in "$HOME/a/web/extracted"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/extracted/v2/" ] || '
        '{ tar -C "$dir" -cf - . | tar -C "$HOME/a/web/volumes/v2" --skip-old-files -xf -; } '
        "|| exit 1; done ) && "
        '( for dir in "$HOME/a/web/volumes"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/volumes/v2/" ] || '
        '{ tar -C "$HOME/a/web/extracted/v2" -cf - . | tar -C "$dir" --skip-old-files -xf -; } '
        "|| exit 1; done )"
    )


def test_prepare_is_extract_then_fill_in_one_chain() -> None:
    assert prepare(PODMAN, WEB, "demo:v2", "v2").render() == (
        'rm -rf "$HOME/a/web/extracted/v2" && mkdir -p "$HOME/a/web/extracted/v2" && '
        "id=$(podman container create demo:v2) && "
        '{ podman container cp "$id":/rails/public/assets/. "$HOME/a/web/extracted/v2" '
        '>/dev/null; copied=$?; podman container rm --volumes "$id" >/dev/null; '
        '[ "$copied" = 0 ]; } && '
        'chmod -R a+rX "$HOME/a/web/extracted/v2" && '
        'mkdir -p "$HOME/a/web/volumes/v2" && '
        'tar -C "$HOME/a/web/extracted/v2" -cf - . | '
        'tar -C "$HOME/a/web/volumes/v2" --skip-old-files -xf - && '
        '( for dir in "$HOME/a/web/extracted"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/extracted/v2/" ] || '
        '{ tar -C "$dir" -cf - . | tar -C "$HOME/a/web/volumes/v2" --skip-old-files -xf -; } '
        "|| exit 1; done ) && "
        '( for dir in "$HOME/a/web/volumes"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/volumes/v2/" ] || '
        '{ tar -C "$HOME/a/web/extracted/v2" -cf - . | tar -C "$dir" --skip-old-files -xf -; } '
        "|| exit 1; done )"
    )


def test_retire_removes_the_other_volumes_and_the_extracted_files_past_retention() -> None:
    assert retire(WEB, "v2").render() == (
        '( for dir in "$HOME/a/web/volumes"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/volumes/v2/" ] || '
        '{ dir=${dir%/}; touch -c "$HOME/a/web/extracted"/"${dir##*/}" && rm -rf "$dir"; } '
        "|| exit 1; done ) && "
        'find "$HOME/a/web/extracted" -mindepth 1 -maxdepth 1 -type d '
        "'!' -name v2 -mmin +60 -exec rm -rf '{}' +"
    )


def test_retire_with_another_retention() -> None:
    assert retire(WEB, "v2", retention_minutes=5).render() == (
        '( for dir in "$HOME/a/web/volumes"/*/; do [ ! -d "$dir" ] || '
        '[ "$dir" = "$HOME/a/web/volumes/v2/" ] || '
        '{ dir=${dir%/}; touch -c "$HOME/a/web/extracted"/"${dir##*/}" && rm -rf "$dir"; } '
        "|| exit 1; done ) && "
        'find "$HOME/a/web/extracted" -mindepth 1 -maxdepth 1 -type d '
        "'!' -name v2 -mmin +5 -exec rm -rf '{}' +"
    )
