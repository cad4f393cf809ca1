"""App versions made in the lab registry in milliseconds, without a build: the demo image with
one more layer (its own /app/version, so it says which version it is, and a pad of random
bytes of a chosen size, so that each version takes its own room on a server's disk).

    push_version(lab, "shop", "v07", pad=4 << 20)   # registry.lab:5000/shop:v07, service shop
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from typing import Any

from dockyard.lab import LabInfo

SOURCE = ("demo", "v1")  # the lab's demo image: busybox httpd saying "hello from $SERVICE $VERSION"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the lab is local


def push_version(
    lab: LabInfo, repository: str, tag: str, *, pad: int, service: str | None = None
) -> str:
    """`<registry host>/<repository>:<tag>`, labelled `service=<service or repository>`: the
    demo image and a layer with /app/version (`<tag>`) and /pad (`pad` random bytes)."""
    base = f"http://{lab.registry}/v2"
    source, source_tag = SOURCE
    manifest = json.loads(_request(f"{base}/{source}/manifests/{source_tag}", accept=MANIFEST))
    config = json.loads(_request(f"{base}/{source}/blobs/{manifest['config']['digest']}"))
    for layer in manifest["layers"]:
        _request(f"{base}/{repository}/blobs/uploads/?mount={layer['digest']}&from={source}",
                 method="POST", expect=201)  # fmt: skip
    layer = _tar({"app/version": f"{tag}\n".encode(), "pad": os.urandom(pad)})
    packed = gzip.compress(layer, compresslevel=0, mtime=0)  # random bytes: nothing to gain
    config["rootfs"]["diff_ids"].append(_digest(layer))
    config["history"].append({"created_by": f"dockyard e2e: {repository}:{tag}"})
    config["config"]["Labels"] = {
        **(config["config"].get("Labels") or {}),
        "service": service or repository,
    }
    config_bytes = json.dumps(config).encode()
    manifest["config"] = {**manifest["config"], "digest": _digest(config_bytes),
                          "size": len(config_bytes)}  # fmt: skip
    last = manifest["layers"][-1]
    manifest["layers"].append({**last, "digest": _digest(packed), "size": len(packed)})
    for blob in (packed, config_bytes):
        _upload(base, repository, blob)
    _request(f"{base}/{repository}/manifests/{tag}", method="PUT", expect=201,
             data=json.dumps(manifest).encode(), content_type=MANIFEST)  # fmt: skip
    return f"{lab.registry_host}/{repository}:{tag}"


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _upload(base: str, repository: str, blob: bytes) -> None:
    started = _opened(f"{base}/{repository}/blobs/uploads/", method="POST", expect=202)
    location = started.headers["Location"]
    if location.startswith("/"):
        location = base.removesuffix("/v2") + location
    sep = "&" if "?" in location else "?"
    _request(f"{location}{sep}digest={_digest(blob)}", method="PUT", expect=201, data=blob,
             content_type="application/octet-stream")  # fmt: skip


def _request(url: str, **kwargs: Any) -> bytes:
    with _opened(url, **kwargs) as response:
        return bytes(response.read())


def _opened(
    url: str, *, method: str = "GET", expect: int = 200, data: bytes | None = None,
    accept: str | None = None, content_type: str | None = None,
) -> Any:  # fmt: skip
    headers = {k: v for k, v in (("Accept", accept), ("Content-Type", content_type)) if v}
    body = b"" if data is None and method != "GET" else data  # a POST says its length: 0
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    response = _OPENER.open(request, timeout=30)
    if response.status != expect:
        raise AssertionError(f"{method} {url}: HTTP {response.status}, expected {expect}")
    return response
