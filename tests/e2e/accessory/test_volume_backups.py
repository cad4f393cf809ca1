"""Backups of plain directories (kind: volume): archive, lose the files, restore, verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import lab as labs

from .conftest import ssh
from .harness import backup_name, dockyard, ok

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("docker_only")]


def sh(root: Path, script: str) -> str:
    out = ok(root, "accessory", "exec", "uploads", "--reuse", f"sh -c '{script}'")
    return "\n".join(line.split(": ", 1)[1] for line in out.splitlines() if ": " in line)


def test_volume_backup_delete_restore_verify(booted: Path, lab: labs.LabInfo) -> None:
    sh(booted, "mkdir -p /srv/uploads/a/b && echo one > /srv/uploads/a/b/1.txt && "
               "echo two > /srv/uploads/2.txt")  # fmt: skip
    made = backup_name(ok(booted, "accessory", "backup", "uploads"))
    assert made.endswith(".tar.gz")
    sh(booted, "rm -rf /srv/uploads/a /srv/uploads/2.txt && echo new > /srv/uploads/3.txt")
    restored = ok(booted, "accessory", "restore", "uploads", made, "-y")
    kept = restored.split("kept as ")[1].split()[0]
    assert kept.startswith("shop-uploads-before-restore-") and kept.endswith(".tar.gz")
    assert sh(booted, "cat /srv/uploads/a/b/1.txt /srv/uploads/2.txt") == "one\ntwo"
    assert sh(booted, "test -e /srv/uploads/3.txt && echo there || echo gone") == "gone"
    # what was there before the restore is kept aside, and is not a backup for retention
    aside = ssh(lab, f"tar -xzOf .dockyard/backups/shop-uploads/{kept} srv/uploads/3.txt").stdout
    assert aside == "new\n"
    assert kept not in ok(booted, "accessory", "backups", "uploads")
    assert "entries match" in ok(booted, "accessory", "verify", "uploads", made)


def test_volume_verify_fails_on_a_cut_archive(booted: Path, lab: labs.LabInfo) -> None:
    made = backup_name(ok(booted, "accessory", "backup", "uploads"))
    path = f".dockyard/backups/shop-uploads/{made}"
    ssh(lab, f"cp {path} /tmp/w && head -c 100 /tmp/w > {path}")
    done = dockyard(booted, "accessory", "verify", "uploads", made)
    assert done.returncode != 0 and "is damaged or truncated" in done.stderr
