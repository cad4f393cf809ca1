"""Commands of a registry-free image transfer (pure).

On the source (the builder, or this machine): export the image once with `docker save`, compress
the layers some server lacks, and clean up. On each server: survey the layers it holds, then load
an archive built from the staged layers and tag the image. Staged layers live in
`~/.dockyard/images/layers/<diff id hex>.tar.gz` (written atomically, so a file there is whole);
a load that fails keeps them, so a re-run sends only what is still missing.
"""

from __future__ import annotations

import shlex

from dockyard.commands.base import Cmd, Command, HomePath, Raw, Seq, all_of, cmd
from dockyard.engine import Engine

STAGE = ".dockyard/images"
LAYERS = f"{STAGE}/layers"
INSPECT_FORMAT = "{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}"


def hex_of(digest: str) -> str:
    """`sha256:abc…` -> `abc…`: how layers and images are named in files."""
    return digest.split(":", 1)[1]


def layer_file(diff_id: str) -> str:
    """A staged layer's file name: its diff ID's hex, gzip-compressed tar."""
    return f"{hex_of(diff_id)}.tar.gz"


def archive_layer_path(diff_id: str) -> str:
    return f"{hex_of(diff_id)}/layer.tar"


def config_file(image_id: str) -> str:
    return f"{hex_of(image_id)}.json"


def home(path: str) -> str:
    return f'"$HOME/{HomePath(path)}"'


def inspect_image(engine: Engine, image: str) -> Cmd:
    return cmd(engine.name, "image", "inspect", "--format", INSPECT_FORMAT, image)


def inspect_source(engine: Engine, image: str) -> Cmd:
    """One inspect, three lines: the image's ID and layers, its service label, and (docker) the
    storage driver and the top layer's dir (`<root>/overlay2/<cache id>/diff`), from which the
    storage root follows. (It was three commands, 75 ms; one is 25 ms.)"""
    label = '{{index .Config.Labels "service"}}'
    storage = (
        "{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}}"
        if engine.reports_image_storage
        else "- -"
    )
    return cmd(
        engine.name, "image", "inspect", "--format", f"{INSPECT_FORMAT}\n{label}\n{storage}", image
    )


def survey(engine: Engine, load_directory: str) -> Raw:
    """Every image's layers, the staged layers, the free disk; makes this run's load dir and
    removes temp files a killed upload left (an hour old: another app's transfer to the same
    server may be writing one right now)."""
    images = (
        f"{engine.name} image ls -q --no-trunc | sort -u | "
        f"xargs -r {engine.name} image inspect --format {shlex.quote(INSPECT_FORMAT)}"
    )
    layers = home(LAYERS)
    return Raw(
        f"mkdir -p {layers} {home(load_directory)} && "
        f"{_older_than_an_hour(layers, '.*.tmp')} && "
        f"{_older_than_an_hour(home(STAGE), 'load-*')} && {{ {images}; }} && "
        f"echo ---staged && ls -1 {layers} && echo ---disk && df -Pk {layers}"
    )


def _older_than_an_hour(directory: str, pattern: str) -> str:
    """Removes what a killed run left (a live one is minutes old at most)."""
    return (
        f"find {directory} -maxdepth 1 -name {shlex.quote(pattern)} -mmin +60 -exec rm -rf {{}} +"
    )


def load_dir(token: str) -> str:
    return f"{STAGE}/load-{token}"


def load_staged(
    engine: Engine, token: str, layers: tuple[str, ...], load: tuple[str, ...], tag: str
) -> Raw:
    """Link the staged layers (`load`) into the load dir (manifest and config already uploaded
    there) and put an empty file for each layer the host has (podman wants every layer file;
    neither engine opens the file of a layer it has), stream it as a tar into `load`, print the
    ID the tag now names, then drop the staged layers.

    The load dir goes whether the load worked or not; the staged layers only when it worked.
    The engine tags the image only once every layer is in, so a cut-short load leaves no tag.
    """
    directory = home(load_dir(token))
    staged = tuple(dict.fromkeys(load))
    held = tuple(layer for layer in dict.fromkeys(layers) if layer not in staged)
    links = [
        f"mkdir -p {hex_of(layer)} && ln -sf ../../layers/{layer_file(layer)} "
        f"{archive_layer_path(layer)}"
        for layer in staged
    ] + [f"mkdir -p {hex_of(layer)} && : > {archive_layer_path(layer)}" for layer in held]
    load_and_check = [f"tar -chf - . | {engine.name} load -q", inspect_id(engine, tag).render()]
    steps = " && ".join([f"cd {directory}", *links, *load_and_check])
    files = " ".join(f"{home(LAYERS)}/{layer_file(layer)}" for layer in staged)
    drop_staged = f"[ $status -ne 0 ] || rm -f {files}; " if files else ""
    return Raw(f"( {steps} ); status=$?; rm -rf {directory}; {drop_staged}exit $status")


def inspect_id(engine: Engine, image: str) -> Cmd:
    return cmd(engine.name, "image", "inspect", "--format", "{{.Id}}", image)


def tag_present(engine: Engine, image_id: str, tags: tuple[str, ...], token: str) -> Command:
    """Tags for an image the host already has (by ID); this run's load dir is not needed."""
    return all_of(drop_load_dir(token), *(cmd(engine.name, "tag", image_id, tag) for tag in tags))


def drop_load_dir(token: str) -> Cmd:
    return cmd("rm", "-rf", "--", HomePath(load_dir(token)))


# --- the source side ------------------------------------------------------------------------------


def export_dir(token: str) -> str:
    return f".dockyard/export-{token}"


def export_image(engine: Engine, image: str, token: str) -> Raw:
    """`save` the image into a fresh dir and print its manifest."""
    directory = home(export_dir(token))
    save = cmd(engine.name, "save", image).render()
    return Raw(
        f"rm -rf {directory} && mkdir -p {directory}/out && "
        f"{_older_than_an_hour(home('.dockyard'), 'export-*')} && "
        f"{save} | tar -x -C {directory} && "
        f"cat {directory}/manifest.json"
    )


def compress_layers(token: str, paths: dict[str, str]) -> Seq:
    """gzip (fast level) each wanted layer tar, by export path, to out/<diff id hex>.tar.gz."""
    directory = home(export_dir(token))
    steps: list[Command] = [Raw(f"cd {directory}")]
    for diff_id, path in paths.items():
        steps.append(Raw(f"gzip -1 -n -c {shlex.quote(path)} > out/{layer_file(diff_id)}"))
    return all_of(*steps)


def exported_layer(token: str, diff_id: str) -> str:
    return f"{export_dir(token)}/out/{layer_file(diff_id)}"


def exported_file(token: str, path: str) -> str:
    return f"{export_dir(token)}/{path}"


def drop_export(token: str) -> Cmd:
    return cmd("rm", "-rf", "--", HomePath(export_dir(token)))


# --- the source side, without `docker save` (docker with overlay2) -----------------------------


def layerdb(root: str, chain: str) -> str:
    return f"{root}/image/overlay2/layerdb/sha256/{hex_of(chain)}"


def image_config_path(root: str, image_id: str) -> str:
    return f"{root}/image/overlay2/imagedb/content/sha256/{hex_of(image_id)}"


def copy_layer_records(root: str, token: str, chains: dict[str, str], limit: int) -> Raw:
    """For each wanted layer (diff ID -> chain ID): its tar-split record, and its files as one
    gzip'd tar, into the export dir's out/. Exits 3 when a record is missing or the layers
    total more than `limit` bytes (then a save is the faster way)."""
    directory = home(export_dir(token))
    records = " ".join(shlex.quote(layerdb(root, chain)) for chain in chains.values())
    steps = [
        f'total=0 && for r in {records}; do size=$(cat "$r/size") || exit 3; '
        f"total=$((total + size)); done && [ $total -le {limit} ] || exit 3",
        f"rm -rf {directory} && mkdir -p {directory}/out",
    ]
    for diff_id, chain in chains.items():
        record = shlex.quote(layerdb(root, chain))
        name = hex_of(diff_id)
        steps.append(
            f"cp {record}/tar-split.json.gz {directory}/out/{name}.split.gz && "
            f"tar -C {shlex.quote(root)}/overlay2/$(cat {record}/cache-id)/diff -cf - . | "
            f"gzip -1 > {directory}/out/{name}.files.tgz"
        )
    return Raw(" && ".join(steps))


def exported_record(token: str, diff_id: str, kind: str) -> str:
    """out/<hex>.split.gz (the tar-split record) or out/<hex>.files.tgz (the files)."""
    return f"{export_dir(token)}/out/{hex_of(diff_id)}.{kind}"
