"""One `lab up` or `lab down` per lab at a time: an flock on <lab dir>/.lock.

Without it, a second `up` of the same lab could pass the checks while the first is still making
things, fail on a name that exists, and take the first one's lab down while cleaning up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dockyard.errors import LabError


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
