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
