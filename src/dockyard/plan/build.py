"""What a registry-free transfer sends to each server, and the archive `docker load` is given.

Pure: from the image's layers and what each server holds, decide which layers to send (only the
ones above the longest chain the server has, minus any a cut-short transfer already staged) and
write the manifest of a load archive that lists every layer but carries only the missing ones:
the engine looks a layer up by its chain before it opens the layer's file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from dockyard.commands.build import BuildSpec, check_arches
from dockyard.commands.image_transfer import archive_layer_path, config_file
from dockyard.config.objects import Config
from dockyard.errors import BuildError
from dockyard.facts.image import HostImages, layers_present


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


# --- the build ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteBuilder:
    user: str | None
    host: str
    port: int | None


def parse_remote(url: str) -> RemoteBuilder:
    """`ssh://[user@]host[:port]` of builder.remote (Kamal's form; a tcp:// daemon is not SSH)."""
    if not url.startswith("ssh://"):
        raise BuildError(
            f"builder/remote: {url!r} is not an ssh:// address; use ssh://user@host, the "
            "builder is reached over SSH"
        )
    rest = url[len("ssh://") :].rstrip("/")
    user, _, hostport = rest.rpartition("@")
    host, port = hostport, None
    if hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        if not port_text.isdigit():
            raise BuildError(f"builder/remote: {port_text!r} in {url!r} is not a port")
        port = int(port_text)
    if not host:
        raise BuildError(f"builder/remote: no host in {url!r}; use ssh://user@host")
    return RemoteBuilder(user or None, host.strip("[]"), port)


def build_spec(
    config: Config, *, no_cache: bool = False, secret_names: Sequence[str] | None = None
) -> BuildSpec:
    """What to build, from the builder section: tags version + latest, the service label."""
    builder = config.builder
    cache = builder.cache or {}
    cache_ref = config.build_cache_image
    cache_type = cache.get("type")
    return BuildSpec(
        tags=(config.absolute_image, config.latest_image),
        service=config.service,
        dockerfile=builder.dockerfile,
        context=builder.context or ".",
        arches=check_arches(builder.arch),
        target=builder.target,
        args={str(k): str(v) for k, v in builder.args.items()},
        secrets=tuple(secret_names if secret_names is not None else builder.secrets),
        ssh=builder.ssh,
        no_cache=no_cache,
        cache_from=f"type=registry,ref={cache_ref}"
        if cache_type == "registry"
        else ("type=gha" if cache_type == "gha" else None),
        cache_to=_cache_to(cache, cache_ref),
        provenance=None if builder.provenance is None else str(builder.provenance).lower(),
        sbom=builder.sbom,
    )


def _cache_to(cache: Mapping[str, str], cache_ref: str) -> str | None:
    options = f",{cache['options']}" if cache.get("options") else ""
    if cache.get("type") == "registry":
        return f"type=registry,ref={cache_ref}{options}"
    if cache.get("type") == "gha":
        return f"type=gha{options}"
    return None


# --- `build dev`: the working tree, tagged -dirty ------------------------------------------------

DEV_OUTPUTS = ("docker", "registry")


def dev_tags(config: Config) -> tuple[str, str]:
    """Kamal's `build dev` tags: the version and latest tags, each with `-dirty` appended."""
    return (f"{config.absolute_image}-dirty", f"{config.latest_image}-dirty")


def dev_spec(config: Config, *, no_cache: bool = False) -> BuildSpec:
    return replace(build_spec(config, no_cache=no_cache), tags=dev_tags(config))


def check_dev_output(output: str) -> str:
    if output not in DEV_OUTPUTS:
        raise BuildError(
            f"build dev --output {output!r}: dockyard supports docker (the builder's image "
            "store, the default) and registry (push the -dirty tags)"
        )
    return output


@dataclass(frozen=True)
class TreeChanges:
    """What a working-tree build ships that a build of HEAD would not."""

    uncommitted: tuple[str, ...]  # tracked files changed (staged or not), or removed
    untracked: tuple[str, ...]


def tree_changes(porcelain: str) -> TreeChanges:
    """From `git status --porcelain` (v1): `XY path`, `?? path`, `R  old -> new`."""
    uncommitted: list[str] = []
    untracked: list[str] = []
    for line in porcelain.splitlines():
        if len(line) < 4:
            continue
        code, path = line[:2], line[3:]
        path = path.split(" -> ", 1)[-1].strip('"')
        (untracked if code == "??" else uncommitted).append(path)
    return TreeChanges(tuple(sorted(uncommitted)), tuple(sorted(untracked)))
