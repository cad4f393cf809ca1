"""Exact renders of a registry-free transfer's commands."""

from __future__ import annotations

from dockyard.commands import image_transfer as commands
from dockyard.engine import DOCKER, PODMAN

A, B = (f"sha256:{c * 64}" for c in "ab")


def test_the_load_links_staged_layers_and_drops_them_only_when_it_worked() -> None:
    rendered = commands.load_staged(DOCKER, "t1", (B, A), (A,), "shop:v1").render()
    home = '"$HOME/.dockyard/images'
    assert rendered == (
        f'( cd {home}/load-t1" && mkdir -p {"a" * 64} && ln -sf ../../layers/{"a" * 64}.tar.gz '
        f"{'a' * 64}/layer.tar && mkdir -p {'b' * 64} && : > {'b' * 64}/layer.tar && "
        "tar -chf - . | docker load -q && "
        "docker image inspect --format '{{.Id}}' shop:v1 ); status=$?; "
        f'rm -rf {home}/load-t1"; [ $status -ne 0 ] || rm -f {home}/layers"/{"a" * 64}.tar.gz; '
        "exit $status"
    )


def test_layers_are_compressed_on_the_source_by_their_export_path() -> None:
    rendered = commands.compress_layers("t2", {A: "blobs/sha256/x"}).render()
    assert rendered == (
        f'cd "$HOME/.dockyard/export-t2" && gzip -1 -n -c blobs/sha256/x > out/{"a" * 64}.tar.gz'
    )


def test_layer_records_are_copied_from_the_storage_when_they_total_at_most_the_limit() -> None:
    chains = {"sha256:aaaa": "sha256:cccc", "sha256:bbbb": "sha256:dddd"}
    assert commands.copy_layer_records("/var/lib/docker", "t3", chains, 5000).render() == (
        "total=0 && for r in /var/lib/docker/image/overlay2/layerdb/sha256/cccc "
        '/var/lib/docker/image/overlay2/layerdb/sha256/dddd; do size=$(cat "$r/size") || exit 3; '
        "total=$((total + size)); done && [ $total -le 5000 ] || exit 3 && "
        'rm -rf "$HOME/.dockyard/export-t3" && mkdir -p "$HOME/.dockyard/export-t3"/out && '
        "cp /var/lib/docker/image/overlay2/layerdb/sha256/cccc/tar-split.json.gz "
        '"$HOME/.dockyard/export-t3"/out/aaaa.split.gz && '
        "tar -C /var/lib/docker/overlay2/$(cat /var/lib/docker/image/overlay2/layerdb/sha256/"
        'cccc/cache-id)/diff -cf - . | gzip -1 > "$HOME/.dockyard/export-t3"/out/aaaa.files.tgz && '
        "cp /var/lib/docker/image/overlay2/layerdb/sha256/dddd/tar-split.json.gz "
        '"$HOME/.dockyard/export-t3"/out/bbbb.split.gz && '
        "tar -C /var/lib/docker/overlay2/$(cat /var/lib/docker/image/overlay2/layerdb/sha256/"
        'dddd/cache-id)/diff -cf - . | gzip -1 > "$HOME/.dockyard/export-t3"/out/bbbb.files.tgz'
    )


def test_a_storage_root_with_a_space_stays_one_word() -> None:
    # the loop variable is quoted where it is used: `cat $r/size` split the path in two
    chains = {"sha256:aaaa": "sha256:cccc"}
    assert commands.copy_layer_records("/srv/my docker", "t3", chains, 5000).render() == (
        "total=0 && for r in '/srv/my docker/image/overlay2/layerdb/sha256/cccc'; do "
        'size=$(cat "$r/size") || exit 3; total=$((total + size)); done && '
        "[ $total -le 5000 ] || exit 3 && "
        'rm -rf "$HOME/.dockyard/export-t3" && mkdir -p "$HOME/.dockyard/export-t3"/out && '
        "cp '/srv/my docker/image/overlay2/layerdb/sha256/cccc'/tar-split.json.gz "
        '"$HOME/.dockyard/export-t3"/out/aaaa.split.gz && '
        "tar -C '/srv/my docker'/overlay2/$(cat '/srv/my docker/image/overlay2/layerdb/sha256/"
        'cccc\'/cache-id)/diff -cf - . | gzip -1 > "$HOME/.dockyard/export-t3"/out/aaaa.files.tgz'
    )


def test_inspect_an_image_for_its_id_and_layers() -> None:
    assert commands.inspect_image(DOCKER, "shop:v1").render() == (
        "docker image inspect --format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}' shop:v1"
    )
    assert commands.inspect_id(PODMAN, "shop:v1").render() == (
        "podman image inspect --format '{{.Id}}' shop:v1"
    )


def test_inspect_the_source_docker_tells_its_storage() -> None:
    assert commands.inspect_source(DOCKER, "shop:v1").render() == (
        "docker image inspect --format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}\n"
        '{{index .Config.Labels "service"}}\n'
        "{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}}' shop:v1"
    )


def test_inspect_the_source_podman_has_no_storage_to_tell() -> None:
    assert commands.inspect_source(PODMAN, "shop:v1").render() == (
        "podman image inspect --format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}\n"
        '{{index .Config.Labels "service"}}\n- -\' shop:v1'
    )


def test_the_survey_of_a_server() -> None:
    assert commands.survey(PODMAN, commands.load_dir("t1")).render() == (
        'mkdir -p "$HOME/.dockyard/images/layers" "$HOME/.dockyard/images/load-t1" && '
        "find \"$HOME/.dockyard/images/layers\" -maxdepth 1 -name '.*.tmp' -mmin +60 "
        "-exec rm -rf {} + && "
        "find \"$HOME/.dockyard/images\" -maxdepth 1 -name 'load-*' -mmin +60 -exec rm -rf {} + && "
        "{ podman image ls -q --no-trunc | sort -u | xargs -r podman image inspect "
        "--format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}'; } && echo ---staged && "
        'ls -1 "$HOME/.dockyard/images/layers" && echo ---disk && '
        'df -Pk "$HOME/.dockyard/images/layers"'
    )


def test_the_load_of_staged_and_held_layers_exact() -> None:
    layers, staged = ("sha256:bbbb", "sha256:aaaa"), ("sha256:aaaa",)
    assert commands.load_staged(DOCKER, "t1", layers, staged, "shop:v1").render() == (
        '( cd "$HOME/.dockyard/images/load-t1" && mkdir -p aaaa && '
        "ln -sf ../../layers/aaaa.tar.gz aaaa/layer.tar && mkdir -p bbbb && : > bbbb/layer.tar && "
        "tar -chf - . | docker load -q && docker image inspect --format '{{.Id}}' shop:v1 ); "
        'status=$?; rm -rf "$HOME/.dockyard/images/load-t1"; '
        '[ $status -ne 0 ] || rm -f "$HOME/.dockyard/images/layers"/aaaa.tar.gz; exit $status'
    )


def test_a_load_with_nothing_staged_drops_nothing_podman() -> None:
    layers = ("sha256:aaaa", "sha256:bbbb")
    assert commands.load_staged(PODMAN, "t1", layers, (), "shop:v1").render() == (
        '( cd "$HOME/.dockyard/images/load-t1" && mkdir -p aaaa && : > aaaa/layer.tar && '
        "mkdir -p bbbb && : > bbbb/layer.tar && tar -chf - . | podman load -q && "
        "podman image inspect --format '{{.Id}}' shop:v1 ); status=$?; "
        'rm -rf "$HOME/.dockyard/images/load-t1"; exit $status'
    )


def test_an_image_a_server_holds_only_gets_its_tags() -> None:
    tags = ("shop:v1", "shop:latest")
    assert commands.tag_present(DOCKER, "sha256:eeee", tags, "t1").render() == (
        'rm -rf -- "$HOME/.dockyard/images/load-t1" && docker tag sha256:eeee shop:v1 && '
        "docker tag sha256:eeee shop:latest"
    )
    assert commands.drop_load_dir("t1").render() == 'rm -rf -- "$HOME/.dockyard/images/load-t1"'


def test_export_saves_the_image_and_prints_its_manifest() -> None:
    assert commands.export_image(PODMAN, "shop:v1", "t2").render() == (
        'rm -rf "$HOME/.dockyard/export-t2" && mkdir -p "$HOME/.dockyard/export-t2"/out && '
        "find \"$HOME/.dockyard\" -maxdepth 1 -name 'export-*' -mmin +60 -exec rm -rf {} + && "
        'podman save shop:v1 | tar -x -C "$HOME/.dockyard/export-t2" && '
        'cat "$HOME/.dockyard/export-t2"/manifest.json'
    )
    assert commands.drop_export("t2").render() == 'rm -rf -- "$HOME/.dockyard/export-t2"'


def test_layers_are_compressed_by_their_export_path_quoted() -> None:
    paths = {"sha256:aaaa": "blobs/sha256/it's a b", "sha256:bbbb": "x/layer.tar"}
    assert commands.compress_layers("t2", paths).render() == (
        'cd "$HOME/.dockyard/export-t2" && '
        "gzip -1 -n -c 'blobs/sha256/it'\"'\"'s a b' > out/aaaa.tar.gz && "
        "gzip -1 -n -c x/layer.tar > out/bbbb.tar.gz"
    )
