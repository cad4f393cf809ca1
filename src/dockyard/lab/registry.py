"""The lab's registry: Debian's docker-registry on the gateway address, and a tiny v2 API client."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
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
# where docker-registry's filesystem store keeps repositories and blobs
REPOSITORIES = "docker/registry/v2/repositories"
BLOBS = "docker/registry/v2/blobs/sha256"
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


def cache_ready() -> bool:
    """The machine's image cache holds images a new lab's registry can be seeded with."""
    return (Path(specs.IMAGE_CACHE) / "docker").is_dir()


def seed_from_cache(lab_dir: str) -> bool:
    """Fill an empty registry store from the machine's image cache (before the registry runs)."""
    data = registry_dir(lab_dir) / "data"
    cache = Path(specs.IMAGE_CACHE)
    if (data / "docker").exists() or not cache_ready():
        return False
    try:
        shutil.copytree(cache, data, dirs_exist_ok=True, copy_function=_link_blob_or_copy)
    except (OSError, shutil.Error):  # replaced while we copied: build instead
        shutil.rmtree(data, ignore_errors=True)
        return False
    return True


def publish_to_cache(lab_dir: str, repositories: Iterable[str]) -> None:
    """Replace the machine's image cache with the named repositories of this lab's registry
    store and the blobs they link (images a test pushed stay out of it)."""
    cache = Path(specs.IMAGE_CACHE)
    fresh = cache.with_name(f"{cache.name}.new-{os.getpid()}")
    stale = cache.with_name(f"{cache.name}.old-{os.getpid()}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    copy_store(registry_dir(lab_dir) / "data", fresh, repositories)
    with contextlib.suppress(FileNotFoundError):
        cache.rename(stale)
    try:
        fresh.rename(cache)
    except OSError:  # another lab published at the same moment: keep theirs
        shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(stale, ignore_errors=True)


def copy_store(source: Path, target: Path, repositories: Iterable[str]) -> None:
    """The repositories' dirs (copied) and every blob they link (hard links where possible)."""
    for repository in repositories:
        repo_dir = source / REPOSITORIES / repository
        if not repo_dir.is_dir():
            continue
        ignore = shutil.ignore_patterns("_uploads")
        shutil.copytree(repo_dir, target / REPOSITORIES / repository, ignore=ignore)
        for digest in linked_digests(repo_dir):
            blob = Path(BLOBS, digest[:2], digest, "data")
            if not (target / blob).exists():  # a layer another repository shares
                (target / blob).parent.mkdir(parents=True, exist_ok=True)
                _link_blob_or_copy(str(source / blob), str(target / blob))


def linked_digests(repo_dir: Path) -> set[str]:
    """The sha256 digests of the blobs a repository links: its layers and configs, manifests."""
    found: set[str] = set()
    for links in (repo_dir / "_layers" / "sha256", repo_dir / "_manifests/revisions/sha256"):
        if links.is_dir():
            found.update(entry.name for entry in links.iterdir())
    return found


def _link_blob_or_copy(source: str, target: str) -> str:
    """A blob's data file is hard-linked: the registry writes a blob once (a rename into place)
    and never changes it. Every other file is copied: the registry rewrites its link files in
    place, so a shared one would let one lab change another's."""
    if Path(source).name == "data" and f"/{BLOBS}/" in source:
        try:
            os.link(source, target)
            return target
        except OSError:
            pass
    return str(shutil.copy2(source, target))


def remove_cache() -> None:
    """The machine's image cache (and one a killed publish left half made); then the labs'
    root dir, if nothing else is in it."""
    cache = Path(specs.IMAGE_CACHE)
    for path in [cache, *cache.parent.glob(f"{cache.name}.new-*"),
                 *cache.parent.glob(f"{cache.name}.old-*")]:  # fmt: skip
        shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        cache.with_name(f"{cache.name}.lock").unlink()  # lock.first_build's
    with contextlib.suppress(OSError):
        cache.parent.rmdir()


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
