"""Getting an image's missing layers out of its source, compressed, fetched once.

Two ways. `docker save` works everywhere but writes out the whole image (1.2 s for 150 MB, for
a deploy that changed one small file). Where the source runs docker with overlay2, a layer can
instead be rebuilt from the engine's own record of it: its tar-split (headers and padding) and
its unpacked files, checked against its diff ID; anything unexpected falls back to the save.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import secrets
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands import image_transfer as commands
from dockyard.engine import Engine
from dockyard.errors import DeliveryError, DockyardError
from dockyard.facts.image import ImageLayers, Storage, config_diff_ids, parse_save_manifest
from dockyard.facts.tar_split import assemble, chain_ids
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.delivery.transfer_source import ImageSource

FROM_STORAGE_LIMIT = 64 << 20  # more than this: one `save` beats fetching the layers' files


@dataclass(frozen=True)
class Exported:
    config: bytes
    layers: Mapping[str, bytes]  # diff ID -> gzip-compressed tar


async def export(
    source: ImageSource,
    engine: Engine,
    image: str,
    facts: ImageLayers,
    wanted: Sequence[str],
    storage: Storage | None,
) -> Exported:
    if storage is not None and storage.driver == "overlay2":
        try:
            return await export_from_storage(source, storage, facts, wanted)
        except DockyardError:
            pass  # too big, or something unexpected: the save below is the reference way
    return await export_by_save(source, engine, image, facts, wanted)


async def export_from_storage(
    source: ImageSource, storage: Storage, facts: ImageLayers, wanted: Sequence[str]
) -> Exported:
    token = secrets.token_hex(6)
    chains = dict(zip(facts.layers, chain_ids(facts.layers), strict=True))
    config = await source.fetch(commands.image_config_path(storage.root, facts.id))
    if f"sha256:{_sha256(config)}" != facts.id:
        raise DockyardError("the stored image config does not match the image ID")
    try:
        if wanted:
            chosen = {layer: chains[layer] for layer in wanted}
            copy = commands.copy_layer_records(storage.root, token, chosen, FROM_STORAGE_LIMIT)
            await source.run(copy, timeout=UNBOUNDED)
        layers = {}
        for layer in wanted:
            record = await source.fetch(commands.exported_record(token, layer, "split.gz"))
            files = await source.fetch(commands.exported_record(token, layer, "files.tgz"))
            layers[layer] = await asyncio.to_thread(_rebuild, record, files, layer)
    finally:
        await source.run(commands.drop_export(token))
    return Exported(config, layers)


def _rebuild(record: bytes, files_archive: bytes, diff_id: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(files_archive), mode="r:gz") as archive:
        files = {
            member.name.removeprefix("./"): (archive.extractfile(member) or io.BytesIO()).read()
            for member in archive.getmembers()
            if member.isfile()
        }
    layer = assemble(gzip.decompress(record).decode(), files, diff_id)
    return gzip.compress(layer, compresslevel=1, mtime=0)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def export_by_save(
    source: ImageSource, engine: Engine, image: str, facts: ImageLayers, wanted: Sequence[str]
) -> Exported:
    """Save the image on its source, compress the wanted layers there, fetch them, clean up."""
    token = secrets.token_hex(6)
    try:
        exported = await source.run(commands.export_image(engine, image, token), timeout=UNBOUNDED)
        saved = parse_save_manifest(exported)
        config = await source.fetch(commands.exported_file(token, saved.config_path))
        diff_ids = config_diff_ids(config)
        if diff_ids != facts.layers or len(saved.layer_paths) != len(diff_ids):
            raise DeliveryError(f"{source.name}: {image} changed while it was being exported")
        paths = dict(zip(diff_ids, saved.layer_paths, strict=True))
        if wanted:
            compress = commands.compress_layers(token, {d: paths[d] for d in wanted})
            await source.run(compress, timeout=UNBOUNDED)
        layers = {d: await source.fetch(commands.exported_layer(token, d)) for d in wanted}
    finally:
        await source.run(commands.drop_export(token))
    return Exported(config, layers)
