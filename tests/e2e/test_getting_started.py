"""docs/getting-started.md, run as a new user would: a fresh home directory, a shell that has no
dockyard on its PATH, the document's shell blocks in order (tests/e2e/docrun.py). They set up
dockyard and a lab, write an app of their own (not the bundled example), deploy it, redeploy it
under load and roll it back; every output the document shows must be what they print. The lab
is `tgs` on 10.219.0.0/24 (the names the document says to set for a lab of another name), shifted
per worker and checkout like every test lab (tests/e2e/labs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab import spec as specs

from . import docrun
from .conftest import lab_unavailable
from .labs import group, name_and_subnet
from .test_lab import NOTHING, leftovers

pytestmark = [pytest.mark.e2e, group("getting-started")]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "getting-started.md"
LAB_PART_ENDS = "## On a real server"
NAME, SUBNET = name_and_subnet("getting-started")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MIN_REQUESTS = 20  # the load loop really ran through the deploy


def new_user_env(home: Path) -> dict[str, str]:
    """A login shell's environment: no venv on the PATH, git told who commits (a new dockyard
    user is not new to git), the lab's name and subnet as the document says to set them."""
    who = {"GIT_AUTHOR_NAME": "New User", "GIT_AUTHOR_EMAIL": "new@example.com"}
    return {
        "HOME": str(home), "PATH": SYSTEM_PATH, "LANG": "C.UTF-8", "TMPDIR": str(home),
        "DOCKYARD_LAB": NAME, "DOCKYARD_LAB_SUBNET": SUBNET,
        **who, "GIT_COMMITTER_NAME": who["GIT_AUTHOR_NAME"],
        "GIT_COMMITTER_EMAIL": who["GIT_AUTHOR_EMAIL"],
    }  # fmt: skip


def test_the_getting_started_walkthrough_runs_as_written(tmp_path: Path) -> None:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    steps = docrun.steps(DOC.read_text(), LAB_PART_ENDS)
    home = tmp_path / "home"
    home.mkdir()
    lab_dir = specs.LabSpec(name=NAME).lab_dir
    labs.down(NAME)  # a leftover of a crashed run
    try:
        done = docrun.run(steps, cwd=str(ROOT), env=new_user_env(home), timeout=900)
        check_every_step(steps, done)
        assert Path(home, "hello", "config", "deploy.yml").is_file()
        check_requests_during_the_deploy(steps, done)
        # the last step took the lab down: nothing of it is left, its dir neither
        assert leftovers(NAME, lab_dir) == NOTHING
        assert not Path(lab_dir).exists()
    finally:
        labs.down(NAME)


def check_every_step(steps: list[docrun.Step], done: docrun.Run) -> None:
    if done.returncode != 0:
        failed = done.failed_step()
        raise AssertionError(
            f"{DOC.name}:{steps[failed].line}: exit {done.returncode}\n{steps[failed].script}"
            f"--- stdout\n{done.stdout[failed]}--- stderr\n{done.stderr[failed]}"
        )
    for step, out in zip(steps, done.stdout, strict=True):
        if step.expected is not None:
            assert out is not None and docrun.matches(step.expected, out), (
                f"{DOC.name}:{step.line}: expected\n{step.expected}got\n{out}"
            )


def check_requests_during_the_deploy(steps: list[docrun.Step], done: docrun.Run) -> None:
    """The `uniq -c` step's one line (only 200s, which the document's output says) counts
    enough requests to have spanned the deploy."""
    index = next(i for i, step in enumerate(steps) if "uniq -c" in step.script)
    counted = re.match(r"\s*(\d+) 200\n", done.stdout[index] or "")
    assert counted, done.stdout[index]
    assert int(counted.group(1)) >= MIN_REQUESTS
