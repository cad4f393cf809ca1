"""One `lab up` or `lab down` per lab at a time: an flock on <lab dir>/.lock; and one first
build of the lab's images per machine (first_build).

Without it, a second `up` of the same lab could pass the checks while the first is still making
things, fail on a name that exists, and take the first one's lab down while cleaning up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import spec as specs
from dockyard.lab.registry import cache_ready


@contextmanager
def lab_lock(lab_dir: str, name: str) -> Iterator[None]:
    Path(lab_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(lab_dir) / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabError(
                f"another dockyard is bringing lab {name} up or down; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)


def cache_lock_path() -> Path:
    return Path(f"{specs.IMAGE_CACHE}.lock")


@contextmanager
def first_build(wanted: bool, progress: Callable[[str], None]) -> Iterator[None]:
    """While the machine's image cache is empty, one `lab up` at a time builds the images (an
    flock beside the cache): labs started together wait for the first one's images instead of
    each building them all at once. Once the cache holds them, no lock is taken."""
    if not wanted or cache_ready():
        yield
        return
    lock_path = cache_lock_path()
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("waiting for another lab that is building the images into the cache")
            fcntl.flock(fd, fcntl.LOCK_EX)
        if cache_ready():  # built meanwhile: this lab seeds its registry from it
            os.close(fd)
            fd = -1
        yield
    finally:
        if fd >= 0:
            os.close(fd)
