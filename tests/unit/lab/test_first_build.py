"""While the machine's image cache is empty, labs started together build the images one at a
time: the second waits for the first's cache, then seeds from it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dockyard.lab import registry
from dockyard.lab import spec as specs
from dockyard.lab.lock import cache_lock_path, first_build


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "root" / ".image-cache"
    monkeypatch.setattr(specs, "IMAGE_CACHE", str(path))
    return path


def test_a_ready_cache_takes_no_lock(cache: Path) -> None:
    (cache / "docker").mkdir(parents=True)
    with first_build(True, print):
        assert not cache_lock_path().exists()
    with first_build(False, print):
        assert not cache_lock_path().exists()


def test_the_second_lab_waits_for_the_first_ones_images(cache: Path) -> None:
    events: list[str] = []
    first_inside = threading.Event()

    def first() -> None:
        with first_build(True, events.append):
            events.append("first builds")
            first_inside.set()
            time.sleep(0.3)
            (cache / "docker").mkdir(parents=True)  # published
            events.append("first published")

    def second() -> None:
        first_inside.wait(5)
        with first_build(True, events.append):
            events.append("second seeds")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert events == [
        "first builds",
        "waiting for another lab that is building the images into the cache",
        "first published",
        "second seeds",
    ]


def test_purge_removes_the_lock_file_too(cache: Path) -> None:
    with first_build(True, print):
        pass
    assert cache_lock_path().exists()
    registry.remove_cache()
    assert not cache.parent.exists()
