"""What a registry-free transfer sends to each server, and the archive `docker load` is given.

Pure: from the image's layers and what each server holds, decide which layers to send (only the
ones above the longest chain the server has, minus any a cut-short transfer already staged) and
write the manifest of a load archive that lists every layer but carries only the missing ones:
the engine looks a layer up by its chain before it opens the layer's file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockyard.facts.image import HostImages, hex_of, layers_present


@dataclass(frozen=True)
class HostTransfer:
    host: str
    present: bool  # the image itself is there: only tag it
    layers: tuple[str, ...]  # all the image's layers, bottom first (the manifest lists them all)
    load: tuple[str, ...]  # layers the load archive carries (staged on the host before loading)
    send: tuple[str, ...]  # of those, the ones not staged yet


def host_transfer(
    host: str, image_id: str, layers: tuple[str, ...], held: HostImages
) -> HostTransfer:
    if any(image.id == image_id for image in held.images):
        return HostTransfer(host, True, layers, (), ())
    load = tuple(dict.fromkeys(layers[layers_present(layers, held.images) :]))
    send = tuple(layer for layer in load if layer not in held.staged)
    return HostTransfer(host, False, layers, load, send)


def layers_to_fetch(transfers: Iterable[HostTransfer]) -> tuple[str, ...]:
    """Every layer some server needs sent: exported from the source once, sent to each."""
    return tuple(dict.fromkeys(layer for t in transfers for layer in t.send))


def layer_file(diff_id: str) -> str:
    """A staged layer's file name: its diff ID's hex, gzip-compressed tar."""
    return f"{hex_of(diff_id)}.tar.gz"


def archive_layer_path(diff_id: str) -> str:
    return f"{hex_of(diff_id)}/layer.tar"


def config_file(image_id: str) -> str:
    return f"{hex_of(image_id)}.json"


def load_manifest(image_id: str, tags: Iterable[str], layers: tuple[str, ...]) -> bytes:
    """manifest.json of a docker-archive: the config, the tags, every layer in order."""
    entry = {
        "Config": config_file(image_id),
        "RepoTags": list(tags),
        "Layers": [archive_layer_path(layer) for layer in layers],
    }
    return json.dumps([entry]).encode()


def bytes_needed(transfer: HostTransfer, sizes: Mapping[str, int]) -> int:
    """Disk a host needs for a transfer: the compressed layers, then about 3x them unpacked."""
    compressed = sum(sizes.get(layer, 0) for layer in transfer.send)
    return compressed * 4
