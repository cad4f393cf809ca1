"""`app logs` with each of Kamal's flags, `details` (text and --json) and `remove` of a second
app on the deploy lab: `shop`, web on both servers and a worker on the last (the first has only
web), with an accessory on the first. Its roles write to stdout and stderr, so there are logs.

The demo app stays on the same proxy, so `remove` keeps the proxy for it and says so; the lab
of tests/e2e/accessory/test_setup.py covers the removal of a proxy no other app uses.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..cli import labelled_image
from .conftest import ssh
from .harness import dockyard, get, write_app

pytestmark = pytest.mark.e2e

WEB_CMD = 'echo "web up"; echo "web warning" >&2; sleep 1; echo "web ready"; exec sh /app/start.sh'
WORKER_CMD = 'echo "worker up"; i=0; while :; do i=$((i+1)); echo "worker tick $i"; sleep 1; done'
SHOP_ROLES = f"""
    cmd: sh -c '{WEB_CMD}'
  worker:
    hosts:
      - {{worker}}
    proxy: false
    cmd: sh -c '{WORKER_CMD}'
"""
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z "  # the engine's --timestamps


def write_shop(root: Path, lab: labs.LabInfo) -> Path:
    shop = write_app(root, lab, service="shop", host="shop.test", image="shop")
    config = shop / "config" / "deploy.yml"
    worker = f"  worker:\n    hosts:\n      - {lab.servers[-1].ip}\n    proxy: false\n"
    text = config.read_text().replace(worker, SHOP_ROLES.format(worker=lab.servers[-1].ip)[1:])
    accessory = (
        f"accessories:\n  cache:\n    image: {lab.images['base']}\n"
        f"    host: {lab.servers[0].ip}\n"
        "    cmd: sh -c 'trap \"exit 0\" TERM; while :; do sleep 1; done'\n"
        "    directories:\n      - data:/data\n"
    )
    config.write_text(text.replace("x-dockyard:\n", accessory + "x-dockyard:\n"))
    return shop


@pytest.fixture(scope="module")
def shop(lab: labs.LabInfo, app: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`shop` set up as v1 beside the demo app (deployed first where this module runs alone)."""
    if not all(serves(h.ip, "demo.test") for h in lab.servers):
        done = dockyard(app, "deploy", "-P", "--version", "v1")
        assert done.returncode == 0, done.stdout + done.stderr
    labelled_image(lab, "demo:v1", "shop:v1", "shop")
    root = write_shop(tmp_path_factory.mktemp(f"shop-{lab.engine}"), lab)
    done = dockyard(root, "setup", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    deadline = time.monotonic() + 20
    while "worker tick 3" not in ok(root, "app", "logs", "-r", "worker"):  # a few lines to read
        assert time.monotonic() < deadline, "the worker wrote no ticks"
        time.sleep(0.5)
    return root


def serves(ip: str, host: str) -> bool:
    try:
        return get(ip, host)[0] == 200
    except OSError:  # no proxy there yet
        return False


def ok(root: Path, *args: str) -> str:
    done = dockyard(root, *args)
    assert done.returncode == 0, f"dockyard {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def by_source(output: str) -> dict[str, list[str]]:
    """`host (role): line` lines grouped by `host (role)`."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        source, _, text = line.partition(": ")
        found.setdefault(source, []).append(text)
    return found


def test_logs_of_every_role_on_each_of_its_hosts_with_timestamps(
    lab: labs.LabInfo, shop: Path
) -> None:
    first, last = (h.ip for h in lab.servers)
    done = dockyard(shop, "app", "logs")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    found = by_source(done.stdout)
    assert list(found) == [f"{first} (web)", f"{last} (web)", f"{last} (worker)"]  # no usage error
    for lines in found.values():
        assert all(re.match(STAMP, line) for line in lines), lines
    for host in (first, last):  # stderr too (the engine may give it before or after stdout)
        texts = [line.split(" ", 1)[1] for line in found[f"{host} (web)"]]
        assert sorted(texts[:2]) == ["web up", "web warning"] and texts[2:] == ["web ready"]
    assert found[f"{last} (worker)"][0].endswith(" worker up")


def test_logs_narrowed_to_a_role_without_timestamps_and_counted(
    lab: labs.LabInfo, shop: Path
) -> None:
    last = lab.servers[-1].ip
    lines = ok(shop, "app", "logs", "-r", "worker", "-T", "-n", "2").splitlines()
    assert len(lines) == 2 and all(re.fullmatch(rf"{last} \(worker\): worker tick \d+", x)
                                   for x in lines), lines  # fmt: skip
    one = ok(shop, "app", "logs", "-h", lab.servers[0].ip, "--lines", "1", "--skip-timestamps")
    assert one == f"{lab.servers[0].ip} (web): web ready\n"


def test_logs_grep_with_its_options_since_a_time(lab: labs.LabInfo, shop: Path) -> None:
    first, last = (h.ip for h in lab.servers)
    found = by_source(ok(shop, "app", "logs", "-g", "TICK", "--grep-options", "-i", "-s", "10m"))
    assert found[f"{first} (web)"] == found[f"{last} (web)"] == ["(nothing)"]
    ticks = found[f"{last} (worker)"]
    assert len(ticks) >= 3 and all(re.fullmatch(STAMP + r"worker tick \d+", t) for t in ticks)
    later = ok(shop, "app", "logs", "-r", "worker", "--since", "2100-01-01T00:00:00Z")
    assert later == f"{last} (worker): (nothing)\n"


def test_logs_of_one_container_by_id(lab: labs.LabInfo, shop: Path) -> None:
    first, last = (h.ip for h in lab.servers)
    listing = f"{lab.engine} ps --quiet --filter label=service=shop --filter label=role=worker"
    worker = ssh(lab, lab.servers[-1].name, listing).stdout.strip()
    assert worker
    found = by_source(ok(shop, "app", "logs", "--container-id", worker, "-T", "-n", "1"))
    assert found == {f"{first} ({worker})": ["(no such container)"],
                     f"{last} ({worker})": [found[f"{last} ({worker})"][0]]}  # fmt: skip
    assert re.fullmatch(r"worker tick \d+", found[f"{last} ({worker})"][0])


def test_logs_as_json(lab: labs.LabInfo, shop: Path) -> None:
    first, last = (h.ip for h in lab.servers)
    found = json.loads(ok(shop, "app", "logs", "--json", "-n", "1", "-T"))
    assert found[first] == {"web": ["web ready"]}
    assert found[last]["web"] == ["web ready"]
    assert re.fullmatch(r"worker tick \d+", found[last]["worker"][0])


def test_logs_followed_on_the_host_of_the_role(lab: labs.LabInfo, shop: Path) -> None:
    argv = [sys.executable, "-m", "dockyard", "app", "logs", "-f", "-r", "worker", "-T", "-n", "1"]
    with subprocess.Popen(argv, cwd=shop, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, stdin=subprocess.DEVNULL) as follow:  # fmt: skip
        stop = threading.Timer(60, follow.kill)  # a bound on the reads below
        stop.start()
        try:
            assert follow.stdout is not None
            seen = [follow.stdout.readline().strip() for _ in range(3)]  # the last, then new
        finally:
            stop.cancel()
            follow.kill()
    numbers = [int(line.removeprefix("worker tick ")) for line in seen]  # as is: no prefix
    assert numbers == list(range(numbers[0], numbers[0] + 3)), seen


def test_proxy_logs_with_kamals_flags(lab: labs.LabInfo, shop: Path) -> None:
    first, last = (h.ip for h in lab.servers)
    found = by_source(ok(shop, "proxy", "logs", "-n", "2"))
    assert list(found) == [first, last]
    assert all(len(lines) == 2 and all(re.match(STAMP, x) for x in lines)
               for lines in found.values()), found  # fmt: skip
    bare = by_source(ok(shop, "proxy", "logs", "-n", "1", "-T"))
    assert all(len(lines) == 1 and not re.match(STAMP, lines[0]) for lines in bare.values()), bare
    assert ok(shop, "proxy", "logs", "-g", "no-such-line-0x5f3") == (
        f"{first}: (nothing)\n{last}: (nothing)\n"
    )
    assert ok(shop, "proxy", "logs", "-h", last, "-s", "2100-01-01T00:00:00Z") == (
        f"{last}: (nothing)\n"
    )


def test_details_shows_proxy_app_and_accessory_per_host(lab: labs.LabInfo, shop: Path) -> None:
    first, last = (h.ip for h in lab.servers)
    image = re.escape(f"{lab.registry_host}/shop:v1")
    proxy, base = re.escape(lab.images["proxy"]), re.escape(lab.images["base"])
    lines = ok(shop, "details").splitlines()
    slot = r'slot [ab] \(live\)  healthy \(/up: 200 OK: "OK"\)'
    expected = [
        rf"{first}: proxy  dockyard-proxy  running  {proxy}",
        rf"{first}: app web  shop-web-v1  running  {image}  version v1  {slot}",
        rf"{first}: accessory cache  shop-cache  running  {base}",
        rf"{last}: proxy  dockyard-proxy  running  {proxy}",
        rf"{last}: app web  shop-web-v1  running  {image}  version v1  {slot}",
        rf"{last}: app worker  shop-worker-v1  running  {image}  version v1",
    ]
    assert len(lines) == len(expected), lines  # the demo app's containers are not shop's
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    found = json.loads(ok(shop, "details", "--json"))
    assert [(r["kind"], r["role"]) for r in found[last]] == [
        ("proxy", None), ("app", "web"), ("app", "worker"),
    ]  # fmt: skip
    web, worker = found[last][1], found[last][2]
    assert web["slot"] in ("a", "b") and web["live"] is True and web["version"] == "v1"
    assert web["health"] == 'healthy (/up: 200 OK: "OK")'
    assert worker["slot"] is None and worker["state"] == "running"


def routes_on_the_proxy(root: Path) -> dict[str, list[str]]:
    """{host: the names of the routes its proxy serves} (`proxy details`' `route NAME: …`)."""
    found = json.loads(ok(root, "proxy", "details", "--json"))
    return {host: [line.split()[1].rstrip(":") for line in lines if line.startswith("route ")]
            for host, lines in found.items()}  # fmt: skip


def test_remove_takes_everything_of_the_app_and_lists_what_it_leaves(
    lab: labs.LabInfo, shop: Path
) -> None:
    first, last = (h.ip for h in lab.servers)
    others = {host: ", ".join(sorted(r for r in routes if r != "shop-web"))
              for host, routes in routes_on_the_proxy(shop).items()}  # fmt: skip
    assert all("demo-web" in names for names in others.values()), others
    done = dockyard(shop, "remove", "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(done.stdout.splitlines()) == sorted([
        f"{first}: removed shop; proxy kept for the other apps on it ({others[first]})",
        f"{last}: removed shop; proxy kept for the other apps on it ({others[last]})",
        f"{first}: shop-cache removed with ~/shop-cache",
        f"{first}: logged out of {lab.registry_host}",
        f"{last}: logged out of {lab.registry_host}",
        f"{first}: audit log kept: ~/.dockyard/shop-audit.log",
        f"{last}: audit log kept: ~/.dockyard/shop-audit.log",
    ])  # fmt: skip
    engine = lab.engine
    logged_in = (
        f"grep -c {lab.registry_host} ~/.docker/config.json"
        if engine == "docker"
        else f"podman login --get-login {lab.registry_host}"
    )
    for host in lab.servers:
        left = ssh(lab, host.name, (
            f"{engine} ps --all --quiet --filter label=service=shop;"
            f" {engine} ps --all --quiet --filter label=service=shop-cache;"
            f" {engine} images --quiet --filter label=service=shop;"
            " find ~ -path ~/.ssh -prune -o -name '*shop*' -print"
        ))  # fmt: skip
        assert left.stdout.split() == ["/root/.dockyard/shop-audit.log"], left.stdout
        assert ssh(lab, host.name, logged_in).returncode != 0  # logged out
        assert get(host.ip, "demo.test")[0] == 200  # the other app still served by the proxy
        assert get(host.ip, "shop.test")[0] == 404
