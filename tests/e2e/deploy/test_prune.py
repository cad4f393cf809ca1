"""Deploys prune as Kamal's do: 20 redeploys (8 on Podman: the same steps, in a lab that is slower
per deploy) of an app with `retain_containers: 3` leave on each server, after each one, exactly
the running version and the 3 before it of each role, only their images, and flat disk use; each
retained version can be rolled back to (also after a rollback, when the order the containers
were made in is no longer the order they served in); and a prune that fails leaves the deploy
done, with a one-line warning and no lock.

Every version is its own image (the demo app and a layer of PAD random bytes, made in the
registry without a build: images.py), so a version left behind would show on the disk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..labs import engine_params, running
from .conftest import ssh
from .harness import dockyard, get, write_app
from .images import push_version

pytestmark = pytest.mark.e2e

SERVICE = "pruned"
HOST = "pruned.test"
RETAIN = 3
REDEPLOYS = {"docker": 20, "podman": 8}  # flat disk use shows from the 4th on
PAD = 4 << 20  # bytes of each version's own layer: a version kept too many shows on the disk
STORE = {"docker": "docker info --format '{{.DockerRootDir}}'",
         "podman": "podman info --format '{{.Store.GraphRoot}}'"}  # fmt: skip


@dataclass(frozen=True)
class ServerState:
    running: dict[str, str]  # role -> the version its running container has
    stopped: dict[str, set[str]]  # role -> the versions of its stopped containers
    tags: set[str]  # the service's image tags
    image_ids: set[str]
    disk_kib: int  # the engine's whole store (images, containers, their logs)


def version_name(n: int) -> str:
    return f"p{n:02d}"


@pytest.fixture(scope="module", params=engine_params("prune"))
def lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    """A lab of its own (not the deploy package's), so that the redeploys run beside the
    other deploy tests in `make test` rather than after them."""
    with running(f"prune-{request.param}", request.param, servers=2) as info:
        yield info


@pytest.fixture(scope="module")
def pruned(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_app(tmp_path_factory.mktemp(f"pruned-{lab.engine}"), lab, service=SERVICE,
                     host=HOST, image=SERVICE)  # fmt: skip
    with (root / "config" / "deploy.yml").open("a") as config:
        config.write(f"retain_containers: {RETAIN}\n")
    return root


def release(lab: labs.LabInfo, app: Path, command: str, version: str) -> str:
    """Push `version` and deploy (or redeploy) it; its stderr (the warnings)."""
    push_version(lab, SERVICE, version, pad=PAD)
    done = dockyard(app, command, "-P", "--version", version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert serving(lab) == {f"hello from {SERVICE} {version}"}
    return done.stderr


def serving(lab: labs.LabInfo) -> set[str]:
    return {get(h.ip, HOST)[1].strip() for h in lab.servers}


def server_state(lab: labs.LabInfo, host: str) -> ServerState:
    engine, label = lab.engine, f"--filter label=service={SERVICE}"
    listing = ssh(lab, host, (
        f"{engine} ps --all {label} --format '{{{{.Names}}}} {{{{.State}}}}' && echo --- && "
        f"{engine} images {label} --format '{{{{.Tag}}}} {{{{.ID}}}}' && echo --- && "
        f'du -sk "$({STORE[engine]})"'
    ))  # fmt: skip
    assert listing.returncode == 0, listing.stderr
    containers, images, disk = listing.stdout.split("---\n")
    running: dict[str, str] = {}
    stopped: dict[str, set[str]] = {}
    for line in containers.splitlines():
        name, state = line.split(" ", 1)
        role, version = re.fullmatch(rf"{SERVICE}-(\w+)-(p\d\d)", name).groups()  # type: ignore[union-attr]
        if state.split()[0].lower() in ("running", "up"):
            assert role not in running, f"{host}: two {role} containers run: {containers}"
            running[role] = version
        else:
            stopped.setdefault(role, set()).add(version)
    tags = {line.split()[0] for line in images.splitlines()}
    ids = {line.split()[1] for line in images.splitlines()}
    return ServerState(running, stopped, tags, ids, int(disk.split()[0]))


def roles_on(lab: labs.LabInfo, host: labs.HostInfo) -> set[str]:
    return {"web", "worker"} if host == lab.servers[-1] else {"web"}


def test_redeploys_keep_containers_images_and_disk_use_bounded(
    lab: labs.LabInfo, pruned: Path
) -> None:
    deployed = [version_name(0)]
    release(lab, pruned, "deploy", deployed[0])
    disk: dict[str, list[int]] = {h.name: [] for h in lab.servers}
    for n in range(1, REDEPLOYS[lab.engine] + 1):
        deployed.append(version_name(n))
        release(lab, pruned, "redeploy", deployed[-1])
        kept = set(deployed[-1 - RETAIN : -1])  # the versions before it, at most RETAIN
        for host in lab.servers:
            state = server_state(lab, host.name)
            roles = roles_on(lab, host)
            where = f"{host.name} after {deployed[-1]}"
            assert state.running == dict.fromkeys(roles, deployed[-1]), where
            assert state.stopped == dict.fromkeys(roles, kept), where
            assert state.tags == {deployed[-1], *kept, "latest"}, where  # no image left over
            assert len(state.image_ids) == len(kept) + 1, where  # latest: the running one's
            disk[host.name].append(state.disk_kib)
    for host, sizes in disk.items():
        print(f"{host}: the engine's store after each redeploy (KiB): {sizes}")  # -s shows it
        steady = sizes[RETAIN:]  # from the first redeploy that had RETAIN versions to keep
        assert max(steady) - min(steady) < PAD // 1024, f"{host}: disk use (KiB): {sizes}"


def test_every_retained_version_can_be_rolled_back_to(lab: labs.LabInfo, pruned: Path) -> None:
    last = REDEPLOYS[lab.engine]
    oldest = version_name(last - RETAIN)  # p17 (of 20): the oldest version still kept
    done = dockyard(pruned, "rollback", oldest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert serving(lab) == {f"hello from {SERVICE} {oldest}"}
    assert server_state(lab, lab.servers[-1].name).running == {"web": oldest, "worker": oldest}
    # p17 was made before the three kept with it, but it served last: the next redeploy keeps
    # it (Kamal's order, by when a container was made, would prune it) so `rollback` finds it
    newest = version_name(last + 1)
    release(lab, pruned, "redeploy", newest)
    for host in lab.servers:
        kept = {version_name(last), version_name(last - 1), oldest}
        assert server_state(lab, host.name).stopped == dict.fromkeys(roles_on(lab, host), kept)
    done = dockyard(pruned, "rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Rolling back to {oldest}" in done.stdout
    assert serving(lab) == {f"hello from {SERVICE} {oldest}"}


def test_a_prune_that_fails_leaves_the_deploy_done_with_a_warning(
    lab: labs.LabInfo, pruned: Path
) -> None:
    # An image of the service that a container of another app uses, made from it under a name
    # that has since moved to another of its tags: no container was made from that tag, and
    # the engine refuses to remove the image's only tag while a container uses it.
    first, engine, last = lab.servers[0], lab.engine, REDEPLOYS[lab.engine]
    orphan = push_version(lab, SERVICE, "orphan", pad=1024)
    made = ssh(lab, first.name, (
        f"{engine} pull -q {orphan} >/dev/null && "
        f"{engine} create --name holder --label service=other {orphan} && "
        f"{engine} tag {orphan} {orphan}2 && {engine} rmi {orphan}"
    ))  # fmt: skip
    assert made.returncode == 0, made.stderr
    warnings = release(lab, pruned, "redeploy", version_name(last + 2))
    lines = [line for line in warnings.splitlines() if line.startswith("WARNING:")]
    assert len(lines) == 1, warnings
    assert lines[0].startswith(
        f"WARNING: {first.ip}: pruning old containers and images failed (exited 1: "
    ), lines[0]
    assert f"{SERVICE}:orphan2" in lines[0] or "in use by a container" in lines[0], lines[0]
    assert lines[0].endswith("run `dockyard prune all` once that is fixed"), lines[0]
    assert ssh(lab, first.name, f"test -e .dockyard/lock-{SERVICE}").returncode == 1
    # the rest of the prune was done all the same
    state = server_state(lab, first.name)
    kept = {version_name(last + 1), version_name(last - RETAIN), version_name(last)}
    assert state.stopped["web"] == kept
    assert state.tags == {version_name(last + 2), *kept, "latest", "orphan2"}
    assert ssh(lab, first.name, f"{engine} rm holder").returncode == 0
    done = dockyard(pruned, "prune", "images", "-h", first.ip)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"{first.ip}: removed {orphan}2\n"
