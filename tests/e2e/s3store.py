"""The lab's S3-compatible store (dockyard.lab.s3store) for tests: skipped, with the reason,
where it cannot run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dockyard.lab.s3store import Store, running_store, store_unavailable

__all__ = ["Store", "store_at"]


@contextmanager
def store_at(ip: str, workdir: Path) -> Iterator[Store]:
    reason = store_unavailable()
    if reason:
        pytest.skip(reason)
    with running_store(ip, workdir) as store:
        yield store
