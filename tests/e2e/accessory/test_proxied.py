"""A proxied accessory (`proxy:` in an accessory) served through dockyard's Caddy next to the
app, on a real server: setup routes it, stop takes it off, start puts it back, remove deletes
its route; an unhealthy one is never routed to. Its own one-server lab per engine
(`proxied-docker`, `proxied-podman` in tests/e2e/labs.py)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs

from ..deploy.harness import get
from ..labs import engine_params, running
from .harness import dockyard, ok

pytestmark = pytest.mark.e2e

ROUTE_FILE = ".dockyard/proxy/routes/accessory:demo-admin.json"


@pytest.fixture(scope="module", params=engine_params("proxied"))
def tap_lab(request: pytest.FixtureRequest) -> Iterator[labs.LabInfo]:
    with running(f"proxied-{request.param}", request.param, servers=1) as info:
        yield info


def write_app(root: Path, lab: labs.LabInfo, accessories: str) -> Path:
    host = lab.servers[0].ip
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(
        f"""service: demo
image: demo
servers:
  web:
    hosts:
      - {host}
proxy:
  host: app.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
readiness_delay: 1
deploy_timeout: 6
accessories:
{accessories}x-dockyard:
  runtime: {lab.engine}
  proxy:
    image: {lab.images["proxy"]}
"""
    )
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=lab\n")
    return root


def accessory(lab: labs.LabInfo, name: str, image: str) -> str:
    return f"""  {name}:
    image: {lab.images[image]}
    host: {lab.servers[0].ip}
    env:
      clear:
        SERVICE: {name}
    proxy:
      host: {name}.test
      app_port: 80
      healthcheck:
        path: /up
        interval: 1
"""


def ssh(lab: labs.LabInfo, command: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", lab.ssh_config, lab.servers[0].name, command],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def setup_done(tap_lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The app and a proxied accessory `admin` (the demo image), after `setup`: the app dir and
    what setup printed."""
    app = write_app(tmp_path_factory.mktemp("tap"), tap_lab, accessory(tap_lab, "admin", "demo:v1"))
    return app, ok(app, "setup", "-P", "--version", "v1")


def test_a_proxied_accessory_is_served_beside_the_app(
    tap_lab: labs.LabInfo, setup_done: tuple[Path, str]
) -> None:
    lab, ip = tap_lab, tap_lab.servers[0].ip
    app, out = setup_done
    # setup boots the accessory first, and it boots the proxy itself (no app route yet)
    assert "admin: demo-admin booted; served by the proxy at admin.test" in out
    assert get(ip, "admin.test") == (200, "hello from admin v1\n")
    assert get(ip, "app.test") == (200, "hello from demo v1\n")
    route = json.loads(ssh(lab, f"cat '{ROUTE_FILE}'"))
    assert route["name"] == "accessory:demo-admin" and route["upstreams"] == ["demo-admin:80"]

    # stop: off the proxy at once (404 for its host), the app still answers
    assert "demo-admin stopped" in ok(app, "accessory", "stop", "admin")
    assert get(ip, "admin.test")[0] == 404
    assert get(ip, "app.test") == (200, "hello from demo v1\n")
    assert ssh(lab, f"test -e '{ROUTE_FILE}' || echo gone").strip() == "gone"

    # start: health-checked and routed again
    assert "demo-admin started; served by the proxy" in ok(app, "accessory", "start", "admin")
    assert get(ip, "admin.test") == (200, "hello from admin v1\n")
    assert "demo-admin restarted; served by" in ok(app, "accessory", "restart", "admin")
    assert get(ip, "admin.test") == (200, "hello from admin v1\n")

    # remove: the route file goes, Caddy no longer dials it, the app is untouched
    assert "demo-admin removed" in ok(app, "accessory", "remove", "admin", "-y")
    assert ssh(lab, f"test -e '{ROUTE_FILE}' || echo gone").strip() == "gone"
    assert "demo-admin" not in ssh(lab, "cat .dockyard/proxy/caddy.json")
    assert get(ip, "admin.test")[0] == 404
    assert get(ip, "app.test") == (200, "hello from demo v1\n")


def test_an_unhealthy_proxied_accessory_is_not_routed_to(
    tap_lab: labs.LabInfo, setup_done: tuple[Path, str], tmp_path: Path
) -> None:
    lab, ip = tap_lab, tap_lab.servers[0].ip
    app = write_app(tmp_path, lab, accessory(lab, "broken", "demo:unhealthy"))
    done = dockyard(app, "accessory", "boot", "broken")
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()
    assert len(error) == 1, done.stderr
    assert error[0].startswith(
        f"ERROR (AccessoriesFailed): 1 of 1 accessory boots failed: {ip} (broken): demo-broken "
        "did not answer /up on port 80 (404"
    ), error
    assert (
        "the proxy does not route to it and it is left running: see `dockyard accessory logs "
        "broken`, fix it, then `dockyard accessory restart broken`; "
    ) in error[0], error
    assert "broken" not in ssh(lab, "ls .dockyard/proxy/routes; cat .dockyard/proxy/caddy.json")
    assert get(ip, "broken.test")[0] == 404
    assert (
        ssh(lab, f"{lab.engine} inspect --format '{{{{.State.Status}}}}' demo-broken").strip()
        == "running"
    )
    assert get(ip, "app.test") == (200, "hello from demo v1\n")


def test_remove_takes_the_proxy_when_only_the_app_and_its_accessory_used_it(
    tap_lab: labs.LabInfo, setup_done: tuple[Path, str]
) -> None:
    lab, ip = tap_lab, tap_lab.servers[0].ip
    app, _ = setup_done
    ok(app, "accessory", "boot", "admin")
    assert get(ip, "admin.test") == (200, "hello from admin v1\n")
    out = ok(app, "remove", "-y")
    assert "proxy removed (no other app used it)" in out, out
    left = ssh(
        lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'; test -e .dockyard/proxy && echo state"
    )
    assert "dockyard-proxy" not in left and "demo-admin" not in left and "state" not in left
