"""The lab's registry: Debian's docker-registry on the gateway address, and a tiny v2 API client."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import files
from dockyard.lab import spec as specs
from dockyard.lab.spec import LabSpec
from dockyard.lab.system import (
    is_ours,
    mid_exec,
    pids_with_arg,
    signal_pid,
    spawn_detached,
    which,
)

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
# the lab is local: never send its requests through an http_proxy from the environment
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def registry_dir(lab_dir: str) -> Path:
    return Path(lab_dir) / "registry"


def start_registry(spec: LabSpec, timeout: float = 10) -> int:
    """Start docker-registry on the gateway address; wait (bounded) until /v2/ answers."""
    rdir = registry_dir(spec.lab_dir)
    (rdir / "data").mkdir(parents=True, exist_ok=True)
    config = rdir / "config.yml"
    config.write_text(files.registry_config(spec))
    argv = [which("docker-registry") or "docker-registry", "serve", str(config)]
    base = f"http://{specs.registry_address(spec.subnet)}"
    deadline = time.monotonic() + timeout
    while True:
        # a fresh gateway address was once refused (bind: cannot assign requested address):
        # a registry that exits at once is started again until the deadline
        pid = spawn_detached(argv, str(rdir / "registry.log"))
        (rdir / "pid").write_text(f"{pid}\n")
        # mid_exec: a registry just started reads as an empty cmdline for a moment; taking it
        # for dead started a second one, which then outlived `down`
        while (is_ours(pid, str(config)) or mid_exec(pid)) and time.monotonic() < deadline:
            if status(f"{base}/v2/") == 200:
                return pid
            time.sleep(0.05)
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    log = (rdir / "registry.log").read_text().strip().splitlines()
    fatal = [line for line in log if "fatal" in line] or log[-1:] or ["no log"]
    raise LabError(f"the lab registry did not answer on {base}: {fatal[-1]}")


def seed_from_cache(lab_dir: str) -> bool:
    """Fill an empty registry store from the machine's image cache (before the registry runs)."""
    data = registry_dir(lab_dir) / "data"
    cache = Path(specs.IMAGE_CACHE)
    if (data / "docker").exists() or not (cache / "docker").is_dir():
        return False
    try:
        shutil.copytree(cache, data, dirs_exist_ok=True)
    except (OSError, shutil.Error):  # replaced while we copied: build instead
        shutil.rmtree(data, ignore_errors=True)
        return False
    return True


def publish_to_cache(lab_dir: str) -> None:
    """Replace the machine's image cache with this lab's registry store (copied: the registry
    rewrites some files in place, so hard links would let one lab change another's)."""
    cache = Path(specs.IMAGE_CACHE)
    fresh = cache.with_name(f"{cache.name}.new-{os.getpid()}")
    stale = cache.with_name(f"{cache.name}.old-{os.getpid()}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(registry_dir(lab_dir) / "data", fresh)
    with contextlib.suppress(FileNotFoundError):
        cache.rename(stale)
    try:
        fresh.rename(cache)
    except OSError:  # another lab published at the same moment: keep theirs
        shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(stale, ignore_errors=True)


def stop_registry(lab_dir: str, timeout: float = 5) -> None:
    """Stop every registry serving this lab's config: the recorded one and any other (a PID
    file is one process; a registry started twice must not outlive `down`)."""
    rdir = registry_dir(lab_dir)
    marker = str(rdir / "config.yml")
    pids = set(pids_with_arg(marker))
    with contextlib.suppress(OSError, ValueError):
        pids.add(int((rdir / "pid").read_text().strip()))
    running = [pid for pid in pids if is_ours(pid, marker)]
    for pid in running:
        signal_pid(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(is_ours(pid, marker) for pid in running) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in running:
        if is_ours(pid, marker):
            signal_pid(pid, signal.SIGKILL)
    (rdir / "pid").unlink(missing_ok=True)


def status(url: str, method: str = "GET", data: bytes | None = None,
           headers: dict[str, str] | None = None) -> int:  # fmt: skip
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def has_tag(registry: str, repository: str, tag: str) -> bool:
    url = f"http://{registry}/v2/{repository}/manifests/{tag}"
    return status(url, "HEAD", headers={"Accept": MANIFEST_TYPES}) == 200


def retag(registry: str, repository: str, source: str, target: str) -> None:
    """Point `target` at the manifest of `source`, without pulling or pushing layers."""
    url = f"http://{registry}/v2/{repository}/manifests/"
    request = urllib.request.Request(url + source, headers={"Accept": MANIFEST_TYPES})
    with _OPENER.open(request, timeout=10) as response:
        body = response.read()
        media_type = response.headers["Content-Type"]
    code = status(url + target, "PUT", body, {"Content-Type": media_type})
    if code not in (200, 201):
        raise LabError(f"the lab registry refused tag {repository}:{target} (HTTP {code})")
