"""The lab's test images: what goes into each build context, and how images are named.

Pure: contexts are described as entries (text from package data, a file to copy, or an empty
dir); the I/O layer (build.py) writes them, hashes them and builds on the lab's builder host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.lab.spec import REGISTRY_HOST, REGISTRY_PORT

APP_REPOSITORY = "demo"
APP_VARIANTS = ("v1", "v2", "unhealthy", "slow", "ws")
PROXY_REPOSITORY = "caddy"
CADDY_VERSION = "2.11.7"
# the base for an app of your own (lab hosts reach no other registry): static busybox
BASE_REPOSITORY = "busybox"
BASE_TAG = "latest"
REPOSITORIES = (APP_REPOSITORY, PROXY_REPOSITORY, BASE_REPOSITORY)
# package data under dockyard/lab/images/ that the contexts are made from
TEMPLATES = (
    "app.Dockerfile", "start.sh", "index.cgi", "sleep.cgi", "headers.cgi", "ws.sh",
    "proxy.Dockerfile", "base.Dockerfile",
)  # fmt: skip
CA_CERTS = "/etc/ssl/certs/ca-certificates.crt"


@dataclass(frozen=True)
class Entry:
    """One path in a build context: text, a copy of `source`, or (neither) an empty dir."""

    path: str
    mode: int = 0o644
    text: str | None = None
    source: str | None = None

    @property
    def is_dir(self) -> bool:
        return self.text is None and self.source is None


@dataclass(frozen=True)
class ImageSpec:
    key: str  # how lab.json and tests name it: "demo:v1", "proxy"
    repository: str
    tags: tuple[str, ...]
    entries: tuple[Entry, ...]


def registry_prefix() -> str:
    return f"{REGISTRY_HOST}:{REGISTRY_PORT}"


def reference(repository: str, tag: str) -> str:
    return f"{registry_prefix()}/{repository}:{tag}"


def content_tag(digest: str) -> str:
    """The tag that names an image by its context's content, for the build cache."""
    return f"c-{digest[:16]}"


def app_image(variant: str, templates: Mapping[str, str], busybox: str) -> ImageSpec:
    if variant not in APP_VARIANTS:
        raise ValueError(f"unknown app variant {variant!r}")
    entries = (
        Entry("Dockerfile", text=templates["app.Dockerfile"]),
        Entry("busybox", 0o755, source=busybox),
        Entry("app"),
        Entry("app/start.sh", 0o755, text=templates["start.sh"]),
        Entry("app/index.cgi", 0o755, text=templates["index.cgi"]),
        Entry("app/sleep.cgi", 0o755, text=templates["sleep.cgi"]),
        Entry("app/headers.cgi", 0o755, text=templates["headers.cgi"]),
        Entry("app/ws.sh", 0o755, text=templates["ws.sh"]),
        Entry("app/version", text=f"{variant}\n"),
        Entry("app/variant", text=f"{variant}\n"),
    )
    return ImageSpec(f"{APP_REPOSITORY}:{variant}", APP_REPOSITORY, (variant,), entries)


def base_image(templates: Mapping[str, str], busybox: str) -> ImageSpec:
    entries = (
        Entry("Dockerfile", text=templates["base.Dockerfile"]),
        Entry("busybox", 0o755, source=busybox),
    )
    return ImageSpec("base", BASE_REPOSITORY, (BASE_TAG,), entries)


def proxy_image(templates: Mapping[str, str], caddy: str, ca_certs: str = CA_CERTS) -> ImageSpec:
    entries = (
        Entry("Dockerfile", text=templates["proxy.Dockerfile"]),
        Entry("root"),
        Entry("root/usr"),
        Entry("root/usr/bin"),
        Entry("root/usr/bin/caddy", 0o755, source=caddy),
        Entry("root/etc"),
        Entry("root/etc/ssl"),
        Entry("root/etc/ssl/certs"),
        Entry("root/etc/ssl/certs/ca-certificates.crt", source=ca_certs),
        Entry("root/etc/passwd", text="root:x:0:0:root:/root:/bin/sh\n"),
        Entry("root/etc/group", text="root:x:0:\n"),
        Entry("root/data"),
        Entry("root/config"),
        Entry("root/root", 0o700),
        Entry("root/tmp", 0o1777),
    )
    return ImageSpec("proxy", PROXY_REPOSITORY, (CADDY_VERSION, "latest"), entries)


def lab_images(templates: Mapping[str, str], busybox: str, caddy: str) -> list[ImageSpec]:
    apps = [app_image(v, templates, busybox) for v in APP_VARIANTS]
    return [*apps, base_image(templates, busybox), proxy_image(templates, caddy)]


def image_refs(images: list[ImageSpec]) -> dict[str, str]:
    """key -> the friendly reference hosts pull, for lab.json."""
    return {image.key: reference(image.repository, image.tags[0]) for image in images}
