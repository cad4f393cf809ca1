"""The prune commands run by real shells (dash and bash), against a scripted `docker` on the
PATH that answers from files and logs what it was asked: which containers and images each
removes, and how a failure is reported without stopping the steps after it. (The engines
themselves answer in the e2e tests: tests/e2e/deploy/test_prune.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.commands import prune
from dockyard.commands.base import Command, all_of, cmd
from dockyard.engine import DOCKER
from dockyard.facts.prune import Pruned, parse_pruned

ENGINE = """#!/bin/sh
# A scripted engine: answers from $ENGINE_STATE, refuses to remove what `refuse` lists.
state=$ENGINE_STATE
echo "$*" >> "$state/calls"
refused() { grep -qxF "$1" "$state/refuse" 2>/dev/null; }
case "$1" in
  ps) if [ "$2" = --quiet ]; then cat "$state/stopped"; else cat "$state/used"; fi ;;
  inspect) cat "$state/inspect" ;;
  rm) if refused "$2"; then echo "Error: container $2 is busy" >&2; exit 1; fi; echo "$2" ;;
  image) echo "Total reclaimed space: 0B" ;;
  images) cat "$state/images" ;;
  rmi) if refused "$2"; then echo "Error response from daemon: conflict: $2 is used" >&2; exit 1
       fi; echo "Untagged: $2" ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
"""

SHELLS = [shell for shell in ("dash", "bash") if shutil.which(shell)]
ZERO = "0001-01-01T00:00:00Z"
# id: finished, created, name, role, as `inspect` prints them for each stopped container
STOPPED = {
    # web v1 served last: rolled back to after v3, then replaced again (made first of all)
    "web1": ("2024-01-05T10:00:00.5Z", "2024-01-01T10:00:00Z", "/shop-web-v1", "web"),
    "web2": ("2024-01-03T10:00:00Z", "2024-01-02T10:00:00Z", "/shop-web-v2", "web"),
    "web3": ("2024-01-04T10:00:00Z", "2024-01-03T10:00:00Z", "/shop-web-v3", "web"),
    # made, never started: the newest of all
    "webnew": (ZERO, "2024-01-06T10:00:00Z", "/shop-web-v4", "web"),
    "work1": ("2024-01-02T10:00:00Z", "2024-01-01T10:00:00Z", "/shop-worker-v1", "worker"),
    "work2": ("2024-01-03T10:00:00Z", "2024-01-02T10:00:00Z", "/shop-worker-v2", "worker"),
    # set aside by a redeploy of v2, the newest stopped worker: no version to roll back to
    "workold": ("2024-01-07T10:00:00Z", "2024-01-01T10:00:00Z", "shop-worker-v2_replaced_0a1b",
                "worker"),
}  # fmt: skip


def engine_state(tmp_path: Path, **files: str) -> dict[str, str]:
    """A `docker` on the PATH answering from `files`; the environment to run commands in."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    (bin_dir / "docker").write_text(ENGINE)
    (bin_dir / "docker").chmod(0o755)
    for name, text in files.items():
        (state / name).write_text(text)
    (state / "calls").write_text("")
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ENGINE_STATE": str(state)}


def stopped_containers(ids: list[str]) -> dict[str, str]:
    inspect = "".join(
        f"{finished} {created} {cid}{'0' * 52} {name} {role} \n"
        for cid, (finished, created, name, role) in STOPPED.items()
        if cid in ids
    )
    return {"stopped": "".join(f"{cid}\n" for cid in ids), "inspect": inspect}


def run(shell: str, command: Command, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shell, "-c", command.render()], env=env, capture_output=True, text=True, timeout=30
    )


def calls(env: dict[str, str], verb: str) -> list[str]:
    lines = Path(env["ENGINE_STATE"], "calls").read_text().splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] == verb]


@pytest.mark.parametrize("shell", SHELLS)
def test_containers_keeps_the_newest_stopped_of_each_role_by_when_they_stopped(
    shell: str, tmp_path: Path
) -> None:
    env = engine_state(tmp_path, **stopped_containers(list(STOPPED)))
    done = run(shell, prune.containers(DOCKER, "shop", None, 2), env)
    assert (done.returncode, done.stderr) == (0, "")
    # web: webnew and web1 are newer; the worker set aside takes no place
    removed = [f"workold{'0' * 5}", f"web3{'0' * 8}", f"web2{'0' * 8}"]
    assert calls(env, "rm") == removed
    assert done.stdout == "".join(f"removed container {cid}\n" for cid in removed)


@pytest.mark.parametrize("shell", SHELLS)
def test_containers_with_nothing_stopped_removes_nothing(shell: str, tmp_path: Path) -> None:
    env = engine_state(tmp_path, stopped="", inspect="")
    done = run(shell, prune.containers(DOCKER, "shop", None, 1), env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert calls(env, "inspect") == [] and calls(env, "rm") == []


@pytest.mark.parametrize("shell", SHELLS)
def test_a_container_that_cannot_be_removed_fails_the_prune_after_the_others(
    shell: str, tmp_path: Path
) -> None:
    env = engine_state(tmp_path, **stopped_containers(list(STOPPED)), refuse=f"web3{'0' * 8}\n")
    done = run(shell, prune.containers(DOCKER, "shop", None, 1), env)
    assert done.returncode == 1
    assert len(calls(env, "rm")) == 5  # workold, web1, web3 (refused), web2, work1: all tried
    assert f"removed container web3{'0' * 8}" not in done.stdout
    assert done.stderr == f"Error: container web3{'0' * 8} is busy\n"


IMAGES = """r/shop:v1
r/shop:v2
r/shop:latest
r/shop:latest-staging
r/shop:<none>
r/shop:v3
"""


@pytest.mark.parametrize("shell", SHELLS)
def test_images_removes_the_tags_no_container_was_made_from_except_latest(
    shell: str, tmp_path: Path
) -> None:
    # r/shop:v3 is used by a container of another app: it stays too
    env = engine_state(tmp_path, used="r/shop:v2\nother:1\nr/shop:v3\n", images=IMAGES)
    done = run(shell, prune.images(DOCKER, "shop"), env)
    assert (done.returncode, done.stderr) == (0, "")
    assert calls(env, "image") == ["prune --force --filter label=service=shop"]
    assert calls(env, "rmi") == ["r/shop:v1"]
    assert done.stdout == "removed r/shop:v1\n"


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failed_prune_in_a_deploys_last_trip_is_a_line_and_the_release_still_runs(
    shell: str, tmp_path: Path
) -> None:
    env = engine_state(
        tmp_path, used="", images=IMAGES, refuse="r/shop:v1\n", **stopped_containers(["web2"])
    )
    parts = (prune.containers(DOCKER, "shop", None, 0), prune.images(DOCKER, "shop"))
    released = tmp_path / "released"
    trip = all_of(cmd("echo", "stopped"), prune.reported(*parts), cmd("touch", str(released)))
    done = run(shell, trip, env)
    assert (done.returncode, done.stderr) == (0, "")
    assert released.exists()  # what follows the prune in the trip ran
    assert calls(env, "rmi") == ["r/shop:v1", "r/shop:v2", "r/shop:v3"]  # all tried
    assert done.stdout == (
        "stopped\n"
        "--- dockyard: prune ---\n"
        f"removed container web2{'0' * 8}\n"
        "Error response from daemon: conflict: r/shop:v1 is used\n"
        "removed r/shop:v2\n"
        "removed r/shop:v3\n"
        "--- dockyard: prune failed, exit 1\n"
    )
    assert parse_pruned(done.stdout) == Pruned(
        (f"container web2{'0' * 8}", "r/shop:v2", "r/shop:v3"),
        "exited 1: Error response from daemon: conflict: r/shop:v1 is used",
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_a_prune_that_works_reports_what_it_removed(shell: str, tmp_path: Path) -> None:
    env = engine_state(tmp_path, used="r/shop:v2\n", images=IMAGES, stopped="", inspect="")
    trip = prune.reported(prune.containers(DOCKER, "shop", None, 5), prune.images(DOCKER, "shop"))
    done = run(shell, trip, env)
    assert (done.returncode, done.stderr) == (0, "")
    pruned = parse_pruned(done.stdout)
    assert pruned == Pruned(("r/shop:v1", "r/shop:v3"))
    assert (pruned.containers, pruned.images) == (0, 2)
