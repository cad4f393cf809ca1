"""Rejected deploys write nothing to the servers (issue #18): configs refused when they are
loaded (a hostile role name or image, a service too long for the proxy's DNS alias, an accessory
file outside its directory) and a second app claiming a host another app serves (refused once
the proxies' route files are read, before the image is pulled) leave no new container, no image,
no change under ~/.dockyard or ~/.kamal and no lock. With --take-over-routes the second app
takes that host on purpose, and the first keeps its other host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import labelled_image
from .conftest import ssh
from .harness import dockyard, get, write_app

pytestmark = pytest.mark.e2e

HOSTILE_MARK = "/tmp/dockyard-hostile-role"


def state_of(lab: labs.LabInfo) -> dict[str, dict[str, list[str]]]:
    """Per server: its containers (name, image, state, ID), its images, and every file (with
    its sha256) and directory under ~/.dockyard and ~/.kamal, where they exist (the deploy lock
    is a directory there)."""
    engine = lab.engine
    parts = {
        # inspect's State.Status (`running`, `exited`) on both engines: podman 4.3's `ps` shows
        # "Up 17 seconds ago"; the ID shows a container made again under the same name
        "containers": f'ids=$({engine} ps -aq) && {{ [ -z "$ids" ] || {engine} inspect '
        "--format '{{.Name}} {{.Config.Image}} {{.State.Status}} {{.Id}}' $ids; }",
        "images": f"{engine} images --format '{{{{.Repository}}}}:{{{{.Tag}}}} {{{{.ID}}}}'",
        "files": "cd ~ && for d in .dockyard .kamal; do if [ -e $d ]; then "
        "find $d -type f -exec sha256sum {} + && find $d -type d || exit 1; fi; done",
    }
    found = {}
    for server in lab.servers:
        found[server.name] = {}
        for name, command in parts.items():
            done = ssh(lab, server.name, command)
            assert done.returncode == 0, done.stderr
            found[server.name][name] = sorted(done.stdout.splitlines())
    return found


def served_by(lab: labs.LabInfo, host: str) -> set[str]:
    return {get(server.ip, host)[1].strip() for server in lab.servers}


@pytest.fixture(scope="module")
def owner(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An app `owner` serving owned.test and kept.test on both servers' proxy."""
    labelled_image(lab, "demo:v1", "owner:v1", "owner")
    labelled_image(lab, "demo:v1", "intruder:v1", "intruder")
    root = write_app(tmp_path_factory.mktemp("owner"), lab, service="owner", host="owned.test",
                     image="owner")  # fmt: skip
    config = root / "config" / "deploy.yml"
    config.write_text(
        config.read_text().replace("  host: owned.test\n", "  hosts: [owned.test, kept.test]\n")
    )
    done = dockyard(root, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    yield root
    dockyard(root, "remove", "-y")


def intruder(root: Path, lab: labs.LabInfo, change: str = "", add: str = "") -> Path:
    """The app `intruder` at owned.test, its config changed (`old=>new`) or extended."""
    write_app(root, lab, service="intruder", host="owned.test", image="intruder")
    config = root / "config" / "deploy.yml"
    text = config.read_text()
    if change:
        old, new = change.split("=>")
        assert old in text
        text = text.replace(old, new)
    config.write_text(text + add)
    return root


REJECTED_AT_LOAD = {
    "hostile role name": (
        {"change": '  worker:\n=>  "worker;touch /tmp/dockyard-hostile-role":\n'},
        "servers/worker;touch /tmp/dockyard-hostile-role: role name",
    ),
    "hostile image": (
        {"change": 'image: intruder\n=>image: "intruder;touch /tmp/dockyard-hostile-role"\n'},
        "image: 'intruder;touch /tmp/dockyard-hostile-rol…' (41 characters) is not an image "
        "name docker and podman accept: it holds ';'",
    ),
    "service too long": (
        {"change": f"service: intruder\n=>service: {'a' * 100}\n"},
        "a DNS label holds at most 63",
    ),
    "accessory file outside its directory": (
        {
            "add": "accessories:\n  cache:\n    image: redis\n    host: 10.0.0.1\n    files:\n"
            "      - notes.txt:/../../../tmp/outside\n"
        },
        "accessories/cache/files/0: '/../../../tmp/outside' leaves the accessory's directory",
    ),
}


@pytest.mark.parametrize("case", REJECTED_AT_LOAD)
@pytest.mark.usefixtures("docker_only")
def test_a_config_refused_at_load_writes_nothing(
    case: str, lab: labs.LabInfo, owner: Path, tmp_path: Path
) -> None:
    changes, expected = REJECTED_AT_LOAD[case]
    app = intruder(tmp_path, lab, **changes)
    before = state_of(lab)
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith("ERROR (ConfigError): config/deploy.yml:"), done.stderr
    assert expected in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert state_of(lab) == before
    assert not Path(HOSTILE_MARK).exists()


def test_a_host_another_app_serves_is_refused_then_taken_over_on_purpose(
    lab: labs.LabInfo, owner: Path, tmp_path: Path
) -> None:
    app = intruder(tmp_path, lab)
    before = state_of(lab)
    done = dockyard(app, "deploy", "-P", "--version", "v1")
    servers = ", ".join(server.ip for server in lab.servers)
    assert (done.returncode, done.stderr) == (1, (
        f"ERROR (RouteTakenError): {servers}: owned.test is served by the app owner (route "
        "owner-web); intruder-web would take it over: choose another proxy host or path "
        "prefix, or run again with --take-over-routes to take it over on purpose\n"
    ))  # fmt: skip
    assert state_of(lab) == before  # no container, no image, no file changed, no lock left
    assert served_by(lab, "owned.test") == {"hello from owner v1"}

    done = dockyard(app, "deploy", "-P", "--version", "v1", "--take-over-routes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "taking over owned.test from the app owner (route owner-web)" in done.stdout
    assert served_by(lab, "owned.test") == {"hello from intruder v1"}
    assert served_by(lab, "kept.test") == {"hello from owner v1"}
    for server in lab.servers:
        route = ssh(lab, server.name, "cat ~/.dockyard/proxy/routes/owner-web.json").stdout
        assert json.loads(route)["hosts"] == ["kept.test"]
    # the host is the intruder's now: the owner's next deploy is the one refused
    again = dockyard(owner, "deploy", "-P", "--version", "v1")
    assert again.returncode == 1
    assert "owned.test is served by the app intruder (route intruder-web)" in again.stderr
    removed = dockyard(app, "remove", "-y")
    assert removed.returncode == 0, removed.stdout + removed.stderr
