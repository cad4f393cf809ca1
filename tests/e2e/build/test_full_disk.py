"""A server whose disk fills while the engine loads the image: a real dockerd whose temp area
(/var/lib/docker/tmp, where `docker load` first writes the archive it is given) is a 1 MiB tmpfs
for the test. One line, no tag, and the next delivery, once there is room, works."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from dockyard import lab as labs

from .harness import commit, dockyard, ssh, write_app


def test_a_disk_that_fills_during_the_load_is_one_line_and_leaves_no_tag(
    lab: labs.LabInfo, tmp_path: Path
) -> None:
    if lab.engine != "docker":
        pytest.skip("podman loads through its own temp dir; the docker lab fills docker's")
    app = write_app(tmp_path / "shop", lab)
    (app / "blob").write_bytes(random.Random(4).randbytes(6 << 20))  # 6 MB that do not compress
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY app/", "COPY blob /blob\nCOPY app/"))
    version = commit(app, "blob")
    assert dockyard(app, "build", "push").returncode == 0

    server = lab.servers[0]
    others = ",".join(h.ip for h in lab.servers[1:])
    in_host = ["nsenter", "-t", str(server.pids["init"]), "-m"]
    tmp = "/var/lib/docker/tmp"
    subprocess.run([*in_host, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tmp], check=True)
    try:
        done = dockyard(app, "build", "pull", "-h", server.ip)
    finally:
        subprocess.run([*in_host, "umount", tmp], check=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"ERROR (HostsFailed): failed on 1 host(s): {server.ip}: the disk filled up while "
        "receiving the image; free some space (`docker image prune -a`, `dockyard prune`) and "
        "deploy again"
    )
    assert ssh(lab, server.ip, f"docker image inspect shop:{version}").returncode != 0, "no tag"
    staged = ssh(lab, server.ip, "ls .dockyard/images/layers | grep -c 'tar.gz$'")
    assert int(staged.stdout.strip() or 0) >= 1, "the layers sent stay staged for the next run"

    again = dockyard(app, "build", "pull", "-h", f"{server.ip},{others}" if others else server.ip)
    assert again.returncode == 0, again.stdout + again.stderr
    shown = ssh(lab, server.ip, f"docker run --rm shop:{version} cat /app/release")
    assert shown.stdout.strip() == "r1"
