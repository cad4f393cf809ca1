"""Exact renders of a registry-free transfer's commands."""

from __future__ import annotations

from dockyard.commands import image_transfer as commands
from dockyard.engine import DOCKER

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
