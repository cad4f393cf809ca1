"""The machine's image cache: only the lab's own repositories and the blobs they link go in;
blob files are shared by hard links, every other file is a copy; `--purge` removes it; and
`down` removes the lab dir's files and the dir, but nothing it did not make."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.lab import registry
from dockyard.lab import spec as specs
from dockyard.lab.down import remove_lab_files

REPOS = Path(registry.REPOSITORIES)
BLOBS = Path(registry.BLOBS)


def digest(n: int) -> str:
    return f"{n:02x}" * 32


def blob(store: Path, n: int) -> Path:
    path = store / BLOBS / digest(n)[:2] / digest(n) / "data"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"blob {n}")
    return path


def repository(store: Path, name: str, layers: list[int], manifest: int) -> None:
    repo = store / REPOS / name
    for n in layers:
        link = repo / "_layers/sha256" / digest(n) / "link"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.write_text(f"sha256:{digest(n)}")
        blob(store, n)
    revision = repo / "_manifests/revisions/sha256" / digest(manifest) / "link"
    revision.parent.mkdir(parents=True, exist_ok=True)
    revision.write_text(f"sha256:{digest(manifest)}")
    blob(store, manifest)
    tag = repo / "_manifests/tags/v1/current/link"
    tag.parent.mkdir(parents=True, exist_ok=True)
    tag.write_text(f"sha256:{digest(manifest)}")
    (repo / "_uploads").mkdir()


def test_the_cache_keeps_the_named_repositories_and_their_blobs_only(tmp_path: Path) -> None:
    store, cache = tmp_path / "store", tmp_path / "cache"
    repository(store, "demo", [1, 2], 3)
    repository(store, "caddy", [2, 4], 5)  # shares layer 2 with demo
    repository(store, "shop", [6], 7)  # a test's own push
    registry.copy_store(store, cache, ["demo", "caddy", "postgres"])
    assert sorted(p.name for p in (cache / REPOS).iterdir()) == ["caddy", "demo"]
    kept = sorted(p.parent.name for p in (cache / BLOBS).glob("*/*/data"))
    assert kept == sorted(digest(n) for n in (1, 2, 3, 4, 5))
    assert not (cache / REPOS / "demo" / "_uploads").exists()
    shared = cache / BLOBS / digest(1)[:2] / digest(1) / "data"
    assert shared.stat().st_ino == blob_path(store, 1).stat().st_ino  # a hard link
    tag = cache / REPOS / "demo/_manifests/tags/v1/current/link"
    assert (
        tag.stat().st_ino != (store / REPOS / "demo/_manifests/tags/v1/current/link").stat().st_ino
    )


def blob_path(store: Path, n: int) -> Path:
    return store / BLOBS / digest(n)[:2] / digest(n) / "data"


def test_a_new_lab_starts_from_the_cache_sharing_its_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "root" / ".image-cache"
    monkeypatch.setattr(specs, "IMAGE_CACHE", str(cache))
    repository(cache, "demo", [1], 2)
    lab = tmp_path / "root" / "tgs"
    assert registry.seed_from_cache(str(lab))
    data = lab / "registry" / "data"
    assert blob_path(data, 1).stat().st_ino == blob_path(cache, 1).stat().st_ino
    link = REPOS / "demo/_manifests/tags/v1/current/link"
    assert (data / link).read_text() == (cache / link).read_text()
    assert (data / link).stat().st_ino != (cache / link).stat().st_ino
    assert not registry.seed_from_cache(str(lab))  # a store that has data is left alone


def test_purge_removes_the_cache_and_a_half_made_one_then_the_empty_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    cache = root / ".image-cache"
    monkeypatch.setattr(specs, "IMAGE_CACHE", str(cache))
    repository(cache, "demo", [1], 2)
    (root / ".image-cache.new-123").mkdir()
    registry.remove_cache()
    assert not root.exists()
    repository(cache, "demo", [1], 2)
    (root / "tgs").mkdir()  # a lab: the root stays
    registry.remove_cache()
    assert sorted(p.name for p in root.iterdir()) == ["tgs"]


def test_down_removes_what_up_wrote_and_the_dir_but_not_someone_elses_files(
    tmp_path: Path,
) -> None:
    lab = tmp_path / "lab"
    for name in ("registry/data/docker", "logs/s1", "images/demo-v1"):
        (lab / name).mkdir(parents=True)
    for name in ("lab.json", "ssh_config", "known_hosts", "id_ed25519", "id_ed25519.pub", ".lock"):
        (lab / name).write_text("x")
    remove_lab_files(str(lab))
    assert not lab.exists()
    (lab / "logs").mkdir(parents=True)
    (lab / "notes.txt").write_text("mine")
    remove_lab_files(str(lab))
    assert [p.name for p in lab.iterdir()] == ["notes.txt"]
