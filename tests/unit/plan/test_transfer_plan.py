"""Registry-free transfer, the pure parts: what servers hold, what each is sent, what is loaded
(the commands: tests/unit/commands/test_image_transfer.py)."""

from __future__ import annotations

import json

import pytest

from dockyard.errors import DockyardError
from dockyard.facts.image import (
    HostImages,
    ImageLayers,
    config_diff_ids,
    layers_present,
    parse_host_images,
    parse_image_line,
    parse_save_manifest,
)
from dockyard.plan.build import host_transfer, layers_to_fetch, load_manifest

A, B, C, D = (f"sha256:{c * 64}" for c in "abcd")
IMAGE = f"sha256:{'e' * 64}"

# `docker image ls -q | xargs docker image inspect ...; echo ---staged; ls; echo ---disk; df -Pk`
SURVEY = f"""{IMAGE} {A},{B},
sha256:{"f" * 64} {A},
---staged
{"c" * 64}.tar.gz
.junk
---disk
Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/sda1         30832548 9000000  20262016      31% /
"""


def test_a_survey_gives_the_images_the_staged_layers_and_the_free_space() -> None:
    held = parse_host_images(SURVEY)
    assert held.images == (
        ImageLayers(IMAGE, (A, B)),
        ImageLayers(f"sha256:{'f' * 64}", (A,)),
    )
    assert held.staged == frozenset({C})
    assert held.free_kib == 20262016


def test_an_image_without_layers_and_a_line_that_is_not_an_image() -> None:
    assert parse_image_line(f"{IMAGE} ") == ImageLayers(IMAGE, ())
    assert parse_image_line("Error: no such image") is None


def test_a_layer_counts_only_within_its_chain() -> None:
    # B sits on A in the held image; the same B on top of C is another layer for the engine
    held = (ImageLayers(IMAGE, (A, B)),)
    assert layers_present((A, B, C), held) == 2
    assert layers_present((C, B), held) == 0
    assert layers_present((A, C), held) == 1


def test_a_server_is_sent_the_layers_above_its_longest_chain_minus_staged_ones() -> None:
    held = HostImages((ImageLayers(IMAGE, (A, B)),), frozenset({D}), 10**9)
    plan = host_transfer("s1", f"sha256:{'9' * 64}", (A, B, C, D), held)
    assert (plan.present, plan.load, plan.send) == (False, (C, D), (C,))
    assert plan.layers == (A, B, C, D)


def test_a_server_that_has_the_image_only_gets_tags() -> None:
    held = HostImages((ImageLayers(IMAGE, (A, B)),), frozenset(), None)
    plan = host_transfer("s1", IMAGE, (A, B), held)
    assert plan.present and plan.send == ()


def test_each_layer_is_fetched_from_the_source_once_for_all_servers() -> None:
    empty = HostImages((), frozenset(), None)
    half = HostImages((ImageLayers(IMAGE, (A,)),), frozenset(), None)
    plans = [host_transfer(h, "sha256:" + "1" * 64, (A, B), held) for h, held in
             (("s1", empty), ("s2", half))]  # fmt: skip
    assert layers_to_fetch(plans) == (A, B)


def test_the_load_manifest_lists_every_layer_and_every_tag() -> None:
    manifest = json.loads(load_manifest(IMAGE, ["shop:v2", "shop:latest"], (A, B)))
    assert manifest == [
        {
            "Config": f"{'e' * 64}.json",
            "RepoTags": ["shop:v2", "shop:latest"],
            "Layers": [f"{'a' * 64}/layer.tar", f"{'b' * 64}/layer.tar"],
        }
    ]


def test_a_save_manifest_and_a_config_give_the_layer_files_in_order() -> None:
    saved = parse_save_manifest(
        json.dumps([{"Config": "x.json", "RepoTags": ["t:1"], "Layers": ["1/layer.tar"]}])
    )
    assert (saved.config_path, saved.layer_paths) == ("x.json", ("1/layer.tar",))
    assert config_diff_ids(json.dumps({"rootfs": {"diff_ids": [A, B]}}).encode()) == (A, B)


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs/layer.tar", "a b/layer.tar"])
def test_an_export_that_names_an_unsafe_path_is_refused(path: str) -> None:
    with pytest.raises(DockyardError, match="unsafe path"):
        parse_save_manifest(json.dumps([{"Config": "x.json", "Layers": [path]}]))


def test_podman_prints_bare_image_ids() -> None:
    assert parse_image_line(f"{'e' * 64} {A},") == ImageLayers(IMAGE, (A,))
