"""Asset bridging on real servers (issue #19): a Rails-like app whose releases fingerprint their
assets is deployed, redeployed and rolled back under a load of pages and their assets, on two
servers that switch one after the other (boot.limit 1); no asset request of either version may
fail, and afterwards every server serves both versions' assets. Docker and Podman."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import dockyard
from ..deploy.harness import get
from .harness import HOST, AssetLoad, asset_problem, links, release, write_app

VOLUMES = ".dockyard/apps/shop/assets/web/volumes"
EXTRACTED = ".dockyard/apps/shop/assets/web/extracted"


@pytest.fixture(scope="module")
def app(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp(f"shop-{lab.engine}"), lab)


@pytest.fixture(scope="module")
def versions() -> dict[str, str]:
    """release -> version (its commit), as the tests deploy them."""
    return {}


def ssh(lab: labs.LabInfo, host: str, command: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed(lab: labs.LabInfo, directory: str) -> dict[str, list[str]]:
    """host -> the entries of a directory under its home."""
    return {h.ip: sorted(ssh(lab, h.ip, f"ls {directory}").split()) for h in lab.servers}


def page_links(lab: labs.LabInfo) -> set[tuple[str, ...]]:
    """The assets the page links, as each server renders it."""
    return {tuple(links(get(h.ip, HOST)[1])) for h in lab.servers}


def unserved(lab: labs.LabInfo, paths: set[str]) -> list[str]:
    return [p for h in lab.servers for path in sorted(paths) if (p := asset_problem(h.ip, path))]


def deployed(app: Path, *args: str) -> None:
    done = dockyard(app, *args)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_first_deploy_serves_the_assets_to_an_app_that_does_not_own_them(
    lab: labs.LabInfo, app: Path, versions: dict[str, str]
) -> None:
    versions["r1"] = release(app, "r1", css="body { color: teal }\n")
    deployed(app, "deploy")
    (r1,) = page_links(lab)
    assert unserved(lab, set(r1)) == []  # read by uid 1000, though its image kept them 0600
    assert listed(lab, VOLUMES) == {h.ip: [versions["r1"]] for h in lab.servers}


def test_a_redeploy_under_load_fails_no_asset_request_of_either_version(
    lab: labs.LabInfo, app: Path, versions: dict[str, str]
) -> None:
    (r1,) = page_links(lab)
    versions["r2"] = release(app, "r2", css="body { color: crimson }\n")
    servers = [h.ip for h in lab.servers]
    with AssetLoad(servers, pinned=list(r1)) as load:
        deployed(app, "deploy")
    assert load.failures == []
    (r2,) = page_links(lab)
    assert set(r1) != set(r2) and set(r1) & set(r2)  # a new stylesheet, the same script
    assert load.linked == set(r1) | set(r2)  # pages of both versions were served meanwhile
    assert load.assets_ok > 50
    assert unserved(lab, set(r1) | set(r2)) == []
    # the replaced version's volume is gone; its files stay in the new one and extracted
    assert listed(lab, VOLUMES) == {ip: [versions["r2"]] for ip in servers}
    both = sorted([versions["r1"], versions["r2"]])
    assert listed(lab, EXTRACTED) == {ip: both for ip in servers}


def test_a_rollback_under_load_fails_none_and_the_old_version_links_its_own_assets(
    lab: labs.LabInfo, app: Path, versions: dict[str, str]
) -> None:
    servers = [h.ip for h in lab.servers]
    (r2,) = page_links(lab)
    with AssetLoad(servers, pinned=list(r2)) as load:
        deployed(app, "rollback", versions["r1"])
    assert load.failures == []
    (r1,) = page_links(lab)  # its own manifest in its volume, not r2's
    assert "/assets/app-" in r1[0] and r1[0] not in r2
    assert load.linked == set(r1) | set(r2)
    assert load.assets_ok > 50
    assert unserved(lab, set(r1) | set(r2)) == []
    assert listed(lab, VOLUMES) == {ip: [versions["r1"]] for ip in servers}
