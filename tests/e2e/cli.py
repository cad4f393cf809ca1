"""What every end-to-end test package runs: the dockyard CLI in an app directory, and test
images derived from the lab's demo image on its builder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dockyard.lab import LabInfo


def dockyard(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`dockyard ARGS` in the app at root; stdin is not a terminal (questions need -y)."""
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        cwd=root, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def labelled_image(lab: LabInfo, base: str, tag: str, service: str) -> None:
    """Build `registry/tag` FROM `registry/base` with the label service=SERVICE (the pull
    checks it, as Kamal does) on the lab's builder, and push it."""
    env = {"DOCKER_HOST": f"unix://{lab.builder.socket}", "PATH": "/usr/local/bin:/usr/bin:/bin"}
    dockerfile = f"FROM {lab.registry_host}/{base}\nLABEL service={service}\n"
    image = f"{lab.registry_host}/{tag}"
    for argv in (["docker", "build", "-q", "-t", image, "-"], ["docker", "push", "-q", image]):
        done = subprocess.run(argv, input=dockerfile, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
