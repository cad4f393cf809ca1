"""Registry-free delivery: an image goes from its source straight to the servers over SSH.

    report = await transfer_image(transport, source, hosts, image_engine, engine, image, tags)

1. The source says the image's ID and layers; every server says (in one command) the layers of
   the images it holds, the layers an interrupted transfer left staged, and its free disk.
2. Only layers above the longest chain a server already has are needed, and only the ones not
   yet staged are sent; each is exported and gzip-compressed once on the source, fetched once.
3. Each server gets its missing layers (atomic uploads, all servers at once), then loads an
   archive of manifest + config + those layers; the engine reuses the layers it has. The tags
   appear only when the load has finished, so a cut-short transfer leaves no tag, and the layers
   it staged make a re-run send only what is still missing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands import image_transfer as commands
from dockyard.errors import CommandFailed, DeliveryError, DockyardError
from dockyard.facts.image import (
    HostImages,
    SourceImage,
    normal_id,
    parse_host_images,
    parse_source_image,
)
from dockyard.plan.build import (
    HostTransfer,
    bytes_needed,
    config_file,
    host_transfer,
    layer_file,
    layers_to_fetch,
    load_manifest,
)
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_hosts
from dockyard.workflows.transfer_export import Exported, export
from dockyard.workflows.transfer_source import ImageSource

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
    source_engine: str,
    engine: str,
    image: str,
    tags: Sequence[str],
    service: str | None = None,
    report: Report | None = None,
) -> TransferReport:
    """`service`: the label the image must carry (Kamal's check), or None not to check."""
    say = report or (lambda host, message: None)
    token = secrets.token_hex(6)
    found, held = await asyncio.gather(
        inspect_source(source, source_engine, image, service),
        on_hosts(hosts, lambda host: survey(transport, host, engine, token)),
    )
    facts, storage = found.image, found.storage
    plans = {host: host_transfer(host, facts.id, facts.layers, held[host]) for host in hosts}
    exported = Exported(b"", {})
    if not all(plan.present for plan in plans.values()):
        wanted = layers_to_fetch(plans.values())
        exported = await export(source, source_engine, image, facts, wanted, storage)
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


async def inspect_source(
    source: ImageSource, engine: str, image: str, service: str | None
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


async def survey(transport: Transport, host: str, engine: str, token: str) -> HostImages:
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
    engine: str,
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
    sent = 0
    try:
        for layer in plan.send:
            data = exported.layers[layer]
            await transport.upload(host, data, f"{commands.LAYERS}/{layer_file(layer)}")
            sent += len(data)
        directory = commands.load_dir(token)
        await transport.upload(host, exported.config, f"{directory}/{config_file(image_id)}")
        manifest = load_manifest(image_id, tags, plan.layers)
        await transport.upload(host, manifest, f"{directory}/manifest.json")
        load = commands.load_staged(engine, token, plan.layers, plan.load, tags[0])
        loaded = await transport.run(host, load)
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
