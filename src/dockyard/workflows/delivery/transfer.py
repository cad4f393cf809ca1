"""Registry-free delivery: an image goes from its source straight to the servers over SSH.

    report = await transfer_image(transport, source, hosts, image_engine, engine, image, tags)

1. The source says the image's ID and layers; every server says (in one command) the layers of
   the images it holds, the layers an interrupted transfer left staged, and its free disk.
2. Only layers above the longest chain a server already has are needed, and only the ones not
   yet staged are sent; each is exported and gzip-compressed once on the source, fetched once.
   The top layer (what a deploy changes most often) is exported while the servers answer, when
   docker's storage gives it cheaply; the survey then decides whether it is sent.
3. Each server gets its missing layers (atomic uploads, all servers at once; the config and
   manifest go beside them), then loads an archive of manifest + config + those layers; the
   engine reuses the layers it has. The tags appear only when the load has finished, so a
   cut-short transfer leaves no tag, and the layers it staged make a re-run send only what is
   still missing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockyard.commands import image_transfer as commands
from dockyard.commands.image_transfer import config_file, layer_file
from dockyard.engine import Engine
from dockyard.errors import CommandFailed, DeliveryError, DockyardError
from dockyard.facts.image import (
    HostImages,
    ImageLayers,
    SourceImage,
    Storage,
    normal_id,
    parse_host_images,
    parse_source_image,
)
from dockyard.plan.build import (
    HostTransfer,
    bytes_needed,
    host_transfer,
    layers_to_fetch,
    load_manifest,
)
from dockyard.ssh.transport import UNBOUNDED, Transport
from dockyard.workflows.delivery.transfer_export import Exported, export, export_from_storage
from dockyard.workflows.delivery.transfer_source import ImageSource
from dockyard.workflows.fanout import on_hosts

Report = Callable[[str, str], None]
NO_SPACE = "no space left on device"


@dataclass(frozen=True)
class TransferReport:
    image_id: str
    layers: int
    fetched: int  # compressed bytes fetched from the source
    sent: Mapping[str, int]  # host -> compressed bytes sent
    layers_sent: Mapping[str, int]


async def transfer_image(
    transport: Transport,
    source: ImageSource,
    hosts: Sequence[str],
    *,
    source_engine: Engine,
    engine: Engine,
    image: str,
    tags: Sequence[str],
    service: str | None = None,
    report: Report | None = None,
) -> TransferReport:
    """`service`: the label the image must carry (Kamal's check), or None not to check."""
    say = report or (lambda host, message: None)
    token = secrets.token_hex(6)
    surveyed = asyncio.ensure_future(
        on_hosts(hosts, lambda host: survey(transport, host, engine, token))
    )
    try:
        found = await inspect_source(source, source_engine, image, service)
    except BaseException:
        await _cancel(surveyed)
        raise
    facts, storage = found.image, found.storage
    # While the servers answer, export the top layer (what a deploy changes most often), if
    # docker's storage gives it cheaply; the servers' answer decides whether it is used.
    early = asyncio.ensure_future(export_early(source, facts, storage))
    try:
        held = await surveyed
    except BaseException:
        await _cancel(early)
        raise
    plans = {host: host_transfer(host, facts.id, facts.layers, held[host]) for host in hosts}
    wanted = layers_to_fetch(plans.values())
    if not wanted and all(plan.present for plan in plans.values()):
        await _cancel(early)
        exported = Exported(b"", {})
    else:
        exported = await _export_rest(
            await early, source, source_engine, image, facts, wanted, storage
        )
    sizes = {layer: len(data) for layer, data in exported.layers.items()}
    for host, plan in plans.items():
        check_space(host, plan, sizes, held[host])

    async def deliver(host: str) -> int:
        return await deliver_to_host(
            transport, host, engine, plans[host], exported, facts.id, tuple(tags), token, say
        )

    sent = await on_hosts(hosts, deliver)
    return TransferReport(
        facts.id,
        len(facts.layers),
        sum(sizes.values()),
        sent,
        {host: len(plan.send) for host, plan in plans.items()},
    )


async def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def export_early(
    source: ImageSource, facts: ImageLayers, storage: Storage | None
) -> Exported | None:
    if storage is None or storage.driver != "overlay2" or not facts.layers:
        return None
    try:
        return await export_from_storage(source, storage, facts, facts.layers[-1:])
    except DockyardError:
        return None  # too big, or unexpected: the export after the survey does it


async def _export_rest(
    early: Exported | None,
    source: ImageSource,
    engine: Engine,
    image: str,
    facts: ImageLayers,
    wanted: Sequence[str],
    storage: Storage | None,
) -> Exported:
    """The wanted layers: the early export's where it has them, the rest exported now."""
    have = early.layers if early is not None else {}
    rest = [layer for layer in wanted if layer not in have]
    if early is not None and not rest:
        return Exported(early.config, {layer: have[layer] for layer in wanted})
    later = await export(source, engine, image, facts, rest, storage)
    return Exported(
        later.config, {layer: have.get(layer) or later.layers[layer] for layer in wanted}
    )


async def inspect_source(
    source: ImageSource, engine: Engine, image: str, service: str | None
) -> SourceImage:
    try:
        stdout = await source.run(commands.inspect_source(engine, image))
    except CommandFailed as error:
        if "no such" not in error.result.stderr.lower():
            raise
        raise DeliveryError(
            f"{source.name}: there is no image {image} to deliver; build it first "
            "(`dockyard build push`, or `dockyard deploy` without -P)"
        ) from None
    found = parse_source_image(stdout)
    if found is None:
        raise DeliveryError(f"{source.name}: cannot read the layers of {image}: {stdout!r}")
    if service is not None and found.label != service:
        raise DeliveryError(
            f"{source.name}: image {image} has label service={found.label or '(none)'}, "
            f"not {service}; build it with dockyard or add `LABEL service={service}`"
        )
    return found


async def survey(transport: Transport, host: str, engine: Engine, token: str) -> HostImages:
    command = commands.survey(engine, commands.load_dir(token))
    return parse_host_images((await transport.run(host, command)).stdout)


def check_space(host: str, plan: HostTransfer, sizes: Mapping[str, int], held: HostImages) -> None:
    needed = bytes_needed(plan, sizes)
    if held.free_kib is not None and needed > held.free_kib * 1024:
        raise DeliveryError(
            f"{host}: the image needs about {needed >> 20} MiB of disk and only "
            f"{held.free_kib >> 10} MiB is free; free some space (`docker image prune -a`, "
            "`dockyard prune`) and deploy again"
        )


async def deliver_to_host(
    transport: Transport,
    host: str,
    engine: Engine,
    plan: HostTransfer,
    exported: Exported,
    image_id: str,
    tags: tuple[str, ...],
    token: str,
    say: Report,
) -> int:
    """Send the host's missing layers and load them; the compressed bytes sent."""
    if plan.present:
        await transport.run(host, commands.tag_present(engine, image_id, tags, token))
        say(host, f"has {image_id[7:19]} already: tagged {', '.join(tags)}")
        return 0
    sent = sum(len(exported.layers[layer]) for layer in plan.send)
    directory = commands.load_dir(token)
    manifest = load_manifest(image_id, tags, plan.layers)

    async def send_layers() -> None:
        for layer in plan.send:  # one at a time: a big image does not flood the link
            data = exported.layers[layer]
            path = f"{commands.LAYERS}/{layer_file(layer)}"
            await transport.upload(host, data, path, timeout=UNBOUNDED)  # as big as the layer

    config_path = f"{directory}/{config_file(image_id)}"
    done = await asyncio.gather(  # the small files go beside the layers; all end before a raise
        send_layers(),
        transport.upload(host, exported.config, config_path),
        transport.upload(host, manifest, f"{directory}/manifest.json"),
        return_exceptions=True,
    )
    for failed in done:
        if isinstance(failed, DockyardError):
            raise _delivery_error(host, failed) from failed
        if isinstance(failed, BaseException):
            raise failed
    try:
        load = commands.load_staged(engine, token, plan.layers, plan.load, tags[0])
        loaded = await transport.run(host, load, timeout=UNBOUNDED)
    except DockyardError as error:
        raise _delivery_error(host, error) from error
    if [normal_id(line) for line in loaded.stdout.strip().splitlines()[-1:]] != [image_id]:
        raise DeliveryError(f"{host}: {tags[0]} does not name {image_id} after the load")
    say(host, f"sent {len(plan.send)} of {len(plan.load)} missing layer(s), {_size(sent)}")
    return sent


def _delivery_error(host: str, error: DockyardError) -> DockyardError:
    if NO_SPACE in str(error).lower():
        return DeliveryError(
            f"{host}: the disk filled up while receiving the image; free some space "
            "(`docker image prune -a`, `dockyard prune`) and deploy again"
        )
    return error


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"
