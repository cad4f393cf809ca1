"""The lab's S3-compatible store (dockyard.lab.s3store) for tests: skipped, with the reason,
where it cannot run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dockyard.lab.s3store import Store, running_store, store_unavailable

__all__ = ["Store", "storage_classes", "store_at"]


@contextmanager
def store_at(ip: str, workdir: Path) -> Iterator[Store]:
    reason = store_unavailable()
    if reason:
        pytest.skip(reason)
    with running_store(ip, workdir) as store:
        yield store


def storage_classes(store: Store, prefix: str) -> dict[str, str]:
    """key -> the storage class the store lists it in (ListObjectsV2's StorageClass)."""
    query = f"?list-type=2&prefix={prefix.replace('/', '%2F')}"
    body = store.curl(f"{store.endpoint}/{store.bucket}{query}").stdout.decode()
    found = {}
    for part in body.split("<Contents>")[1:]:
        key = part.split("<Key>", 1)[1].split("</Key>", 1)[0]
        found[key] = part.split("<StorageClass>", 1)[1].split("</StorageClass>", 1)[0]
    return found
