"""Removing an accessory asks first, says its data goes, then takes container, image and data."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import lab as labs

from .conftest import ssh
from .harness import CACHE, dockyard, ok

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("docker_only")]


def test_remove_asks_and_without_an_answer_removes_nothing(booted: Path, lab: labs.LabInfo) -> None:
    done = dockyard(booted, "accessory", "remove", "cache")
    assert done.returncode != 0
    assert "the data directory (cache: ~/shop-cache on" in done.stdout
    assert "Aborted" in done.stderr
    assert f"{CACHE}  running" in ok(booted, "accessory", "details", "cache")


def test_remove_confirmed_takes_container_image_and_data(booted: Path, lab: labs.LabInfo) -> None:
    assert "removed with ~/shop-cache" in ok(booted, "accessory", "remove", "cache", "-y")
    assert (
        ssh(
            lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}' | grep -c {CACHE} || true"
        ).stdout.strip()
        == "0"
    )
    assert ssh(lab, "test -e shop-cache && echo left || echo gone").stdout.strip() == "gone"
    # the backups are kept; the backup container, its scripts and its key are not
    assert ssh(lab, "ls .dockyard/backups/shop-cache | grep -c rdb").stdout.strip() != "0"
    assert (
        "shop-cache-backup" not in ssh(lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'").stdout
    )
    leftovers = "ls -d .dockyard/accessories/shop-cache .kamal/apps/shop/env/accessories/cache*"
    assert ssh(lab, f"{leftovers} 2>/dev/null || true").stdout.strip() == ""
