"""Parsers for what engines say about images: layer lists, `docker save` manifests, configs.

A layer is named by its diff ID (`sha256:<hex>`, the digest of its uncompressed tar). An engine
stores a layer under its *chain*: the layer together with every layer below it. So a server has
layer i of an image only when it holds some image whose layers start with the same i+1 diff IDs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from dockyard.errors import DockyardError

DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")
BARE_HEX = re.compile(r"[0-9a-f]{64}\Z")
TOP_LAYER_DIR = re.compile(r"(/.*)/overlay2/[0-9a-f]{64}/diff\Z")  # <root>/overlay2/<cache id>/diff
SAFE_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")


@dataclass(frozen=True)
class ImageLayers:
    id: str  # sha256:<hex> of the image config
    layers: tuple[str, ...]  # diff IDs, bottom first


@dataclass(frozen=True)
class SavedImage:
    """Where `docker save` put an image's config and layer tars (in diff-ID order)."""

    config_path: str
    layer_paths: tuple[str, ...]


@dataclass(frozen=True)
class HostImages:
    """What one server holds: its images' layer lists, layers staged by an earlier transfer,
    and the free space (KiB) under the deploy user's home."""

    images: tuple[ImageLayers, ...]
    staged: frozenset[str]
    free_kib: int | None


def normal_id(image_id: str) -> str:
    """podman prints image IDs without docker's `sha256:`."""
    text = image_id.strip()
    return f"sha256:{text}" if BARE_HEX.match(text) else text


def parse_image_line(line: str) -> ImageLayers | None:
    """`<id> <diff id>,<diff id>...` as printed by the inspect format of commands.image_transfer."""
    parts = line.strip().split(" ", 1)
    if not parts or not DIGEST.match(normal_id(parts[0])):
        return None
    listed = parts[1].split(",") if len(parts) > 1 and parts[1] else []
    layers = tuple(layer for layer in (item.strip() for item in listed) if DIGEST.match(layer))
    return ImageLayers(normal_id(parts[0]), layers)


def parse_image_lines(stdout: str) -> tuple[ImageLayers, ...]:
    found = (parse_image_line(line) for line in stdout.splitlines())
    return tuple(image for image in found if image is not None)


def parse_host_images(stdout: str) -> HostImages:
    """The survey's three sections, split by `---staged` and `---disk` marker lines."""
    images_part, _, rest = stdout.partition("---staged\n")
    staged_part, _, disk_part = rest.partition("---disk\n")
    staged = frozenset(
        f"sha256:{name[: -len('.tar.gz')]}"
        for name in staged_part.split()
        if name.endswith(".tar.gz") and DIGEST.match(f"sha256:{name[: -len('.tar.gz')]}")
    )
    return HostImages(parse_image_lines(images_part), staged, parse_free_kib(disk_part))


def parse_free_kib(df_output: str) -> int | None:
    """The `Available` column of `df -Pk`'s data line."""
    lines = [line.split() for line in df_output.strip().splitlines()]
    if len(lines) < 2 or len(lines[-1]) < 4 or not lines[-1][3].isdigit():
        return None
    return int(lines[-1][3])


def parse_save_manifest(text: str) -> SavedImage:
    """manifest.json of `docker save`/`podman save` (one image)."""
    try:
        entries = json.loads(text)
        entry = entries[0]
        config = str(entry["Config"])
        layers = tuple(str(path) for path in entry["Layers"])
    except (ValueError, LookupError, TypeError) as error:
        raise DockyardError(f"the engine's image export has no usable manifest ({error})") from None
    for path in (config, *layers):
        if not SAFE_PATH.match(path) or ".." in path.split("/"):
            raise DockyardError(f"the engine's image export names an unsafe path: {path!r}")
    return SavedImage(config, layers)


def config_diff_ids(config: bytes) -> tuple[str, ...]:
    """`rootfs.diff_ids` of an image config blob."""
    try:
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    except (ValueError, LookupError, TypeError) as error:
        raise DockyardError(f"the image config has no rootfs.diff_ids ({error})") from None
    if not all(isinstance(d, str) and DIGEST.match(d) for d in diff_ids):
        raise DockyardError("the image config lists a layer that is not a sha256 digest")
    return tuple(diff_ids)


def layers_present(layers: tuple[str, ...], images: Iterable[ImageLayers]) -> int:
    """How many of `layers`, from the bottom, some image on the host already has (by chain)."""
    best = 0
    for image in images:
        common = 0
        for mine, theirs in zip(layers, image.layers, strict=False):
            if mine != theirs:
                break
            common += 1
        best = max(best, common)
    return best


@dataclass(frozen=True)
class Storage:
    """docker's storage on the image's source: driver and root dir."""

    driver: str
    root: str


@dataclass(frozen=True)
class SourceImage:
    image: ImageLayers
    label: str  # the service label ("" when it has none)
    storage: Storage | None


def parse_source_image(stdout: str) -> SourceImage | None:
    """The three lines of commands.image_transfer.inspect_source (storage: docker's root dir
    follows from the top layer's dir)."""
    lines = stdout.splitlines()
    image = parse_image_line(lines[0]) if lines else None
    if image is None:
        return None
    label = lines[1].strip() if len(lines) > 1 else ""
    label = "" if label == "<no value>" else label
    parts = lines[2].split(" ", 1) if len(lines) > 2 else []
    found = TOP_LAYER_DIR.match(parts[1]) if len(parts) == 2 and parts[0] != "-" else None
    storage = Storage(parts[0], found.group(1)) if found else None
    return SourceImage(image, label, storage)
