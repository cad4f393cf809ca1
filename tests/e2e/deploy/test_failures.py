"""Failures that must end a deploy cleanly (issue #12), injected for real on the lab under
continuous load: each ends within the test's timeout with one error line, no failed request
for the version that keeps serving, and no lock left behind. A second app, `brk`, runs its
web role on the first server and its worker on the second, so the worker waits on the
primary-role barrier; a third, `cut`, loses its second server's link in the middle of a
deploy; a config without the proxy deploys to a fresh lab."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.commands.app import RUN_MARKER

from ..cli import labelled_image
from ..labs import running
from .conftest import ssh
from .harness import SECRET_VALUE, Load, cut_link, dockyard, get, write_app

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

# Seconds a failing command may take before the test fails: what the deploy bounds (its
# deploy_timeout of 15 s, a last probe of 5 s, 10 s each for the failed container's logs and
# stop), with the pull and the start of the CLI on a machine busy with other suites.
COMMAND_TIMEOUT = 180


def write_brk(root: Path, lab: labs.LabInfo, web_extra: str = "") -> Path:
    """The `brk` app: web on the first server only, a worker on the second only."""
    write_app(root, lab, service="brk", host="brk.test", image="brk")
    config = root / "config" / "deploy.yml"
    first, second = (h.ip for h in lab.servers)
    text = config.read_text().replace(f"      - {first}\n      - {second}\n", f"      - {first}\n")
    config.write_text(text.replace("  worker:\n", f"{web_extra}  worker:\n", 1))
    return root


@pytest.fixture(scope="module")
def brk(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for version in ("v1", "v2"):
        labelled_image(lab, f"demo:{version}", f"brk:{version}", "brk")
    root = write_brk(tmp_path_factory.mktemp(f"brk-{lab.engine}"), lab)
    done = dockyard(root, "deploy", "-P", "--version", "v1")
    assert done.returncode == 0, done.stdout + done.stderr
    yield root
    write_brk(root, lab)
    dockyard(root, "app", "remove", "-y")


def failing(
    root: Path, lab: labs.LabInfo, *args: str, app: str = "brk.test"
) -> tuple[str, Load, subprocess.CompletedProcess[str]]:
    """Run a dockyard command that must fail, under load on the app's web on the first server:
    (its error line, the load, what it printed)."""
    with Load(lab.servers[0].ip, app) as load:
        done = dockyard(root, *args, timeout=COMMAND_TIMEOUT)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("ERROR ("), done.stderr
    return lines[-1], load, done


def below(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What a failed deploy printed below its error line (on stdout, after the progress)."""
    lines = done.stdout.splitlines()
    start = lines.index("  Where each role was left:")
    return lines[start:]


def assert_v1_served_and_left_alone(lab: labs.LabInfo, load: Load) -> None:
    assert load.failures == []
    assert load.ok > 5 and load.bodies == {"hello from brk v1"}
    first, second = (h.name for h in lab.servers)
    for host, role in ((first, "web"), (second, "worker")):
        running = ssh(
            lab, host, f"{lab.engine} ps --filter label=service=brk --format '{{{{.Names}}}}'"
        )
        assert running.stdout.split() == [f"brk-{role}-v1"]
    assert ssh(lab, first, "test -e .dockyard/lock-brk").returncode == 1  # no lock left


def test_a_primary_that_exits_at_once_stops_the_worker_waiting_on_it(
    lab: labs.LabInfo, brk: Path
) -> None:
    write_brk(brk, lab, web_extra='    cmd: sh -c "exit 3"\n')
    line, load, _ = failing(brk, lab, "deploy", "-P", "--version", "v2")
    first, second = (h.ip for h in lab.servers)
    # what the check saw depends on when it looked: exited, restarting, no answer
    assert f"{first}: web: brk-web-v2 did not become healthy (" in line
    assert (
        f"{second}: worker: not booted, because the primary role web failed on {first} "
        "(web: brk-web-v2 did not become healthy ("
    ) in line
    assert_v1_served_and_left_alone(lab, load)


def test_a_failed_health_check_names_the_path_its_key_and_the_answer(
    lab: labs.LabInfo, brk: Path
) -> None:
    write_brk(brk, lab)
    config = brk / "config" / "deploy.yml"
    config.write_text(config.read_text().replace("    path: /up\n", "    path: /nosuch\n"))
    with Load(lab.servers[0].ip, "brk.test") as load:
        done = dockyard(brk, "deploy", "-P", "--version", "v2", timeout=COMMAND_TIMEOUT)
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip().splitlines()[-1]
    first = lab.servers[0].ip
    assert (
        f'{first}: web: brk-web-v2 did not become healthy (404 Not Found: "404 Not Found The '
        'requested URL was not found"); probed GET /nosuch (proxy/healthcheck/path, default '
        "/up) on port 80 (proxy/app_port) "
    ) in line
    assert re.search(r"\(proxy/app_port\) \d+ times in \d+\.\ds; it was stopped and", line), line
    # while it waited (deploy_timeout: 15 s), it said how it went
    assert f"  [{first}] web: brk-web-v2 not healthy yet: attempt " in done.stdout
    assert_v1_served_and_left_alone(lab, load)


def test_the_engine_refusing_an_option_ends_with_its_words(lab: labs.LabInfo, brk: Path) -> None:
    write_brk(brk, lab, web_extra="    options:\n      bogus-option: 1\n")
    line, load, done = failing(brk, lab, "deploy", "-P", "--version", "v2")
    first, second = (h.ip for h in lab.servers)
    assert f"{first}: web: starting brk-web-v2 failed: exited 125: " in line
    assert "unknown flag: --bogus-option" in line
    assert "worker: not booted, because the primary role web failed" in line
    assert_v1_served_and_left_alone(lab, load)
    # stderr is the one line; below it: where each role is, the engine's own words under the
    # step's name, and nothing else (no internal script, no secret)
    assert done.stderr.strip() == line
    details = below(done)
    assert details[:4] == [
        "  Where each role was left:",
        f"    {first} web: kept the version that served before",
        f"    {second} worker: kept the version that served before",
        f"  [{first}] web: starting brk-web-v2: exited 125; its last lines on stderr:",
    ]
    assert any("unknown flag: --bogus-option" in shown for shown in details[4:])
    assert all(shown.startswith(f"  [{first}]   ") for shown in details[4:])
    assert len(details) <= 4 + 10 and done.stdout.endswith("\n".join(details) + "\n")
    printed = done.stdout + done.stderr
    assert RUN_MARKER not in printed and f"{lab.engine} run --detach" not in printed  # no script
    assert SECRET_VALUE not in printed


def test_a_rollback_to_a_version_that_is_gone_says_so_and_changes_nothing(
    lab: labs.LabInfo, brk: Path
) -> None:
    write_brk(brk, lab)
    line, load, _ = failing(brk, lab, "rollback", "v0")
    first = lab.servers[0].ip
    assert (
        f"{first}: web: version v0 is not kept as a container here (`dockyard app containers` "
        "lists them); nothing was changed: deploy v0 instead"
    ) in line
    assert_v1_served_and_left_alone(lab, load)


@pytest.fixture(scope="module")
def fresh_lab(lab: labs.LabInfo) -> Iterator[labs.LabInfo]:
    """One server that never ran anything: no app network, no proxy."""
    with running(f"fresh-{lab.engine}", lab.engine, servers=1) as info:
        yield info


def test_a_config_without_the_proxy_deploys_to_a_fresh_server(
    fresh_lab: labs.LabInfo, tmp_path: Path
) -> None:
    root = write_app(tmp_path, fresh_lab)
    config = root / "config" / "deploy.yml"
    text = config.read_text().replace(
        "  web:\n    hosts:\n", "  web:\n    proxy: false\n    hosts:\n"
    )
    config.write_text(re.sub(r"\nproxy:\n(  .*\n)+", "\n", text))  # no role has the proxy
    server = fresh_lab.servers[0]
    networks = ssh(
        fresh_lab, server.name, f"{fresh_lab.engine} network ls --format '{{{{.Name}}}}'"
    )
    assert "kamal" not in networks.stdout.split()
    done = dockyard(root, "deploy", "-P", "--version", "v1", timeout=COMMAND_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    running = ssh(fresh_lab, server.name, f"{fresh_lab.engine} ps --format '{{{{.Names}}}}'")
    assert sorted(running.stdout.split()) == ["demo-web-v1", "demo-worker-v1"]  # no proxy
    answer = ssh(
        fresh_lab, server.name, f"{fresh_lab.engine} exec demo-web-v1 wget -qO- http://127.0.0.1/"
    )
    assert answer.stdout.strip() == "hello from demo v1", answer.stderr
    assert ssh(fresh_lab, server.name, "test -e .dockyard/lock-demo").returncode == 1


# The longest a deploy whose host went silent may take: the host is given up after 12 s of
# silence, the other host's boot (deploy_timeout 15 s at most, drain_timeout 10 s) runs
# meanwhile; on a machine busy with other suites.
SILENT_HOST_BOUND = 90


@pytest.fixture
def cut(lab: labs.LabInfo, tmp_path: Path) -> Iterator[Path]:
    """The `cut` app, v1 on both servers (web on each, the worker on the second)."""
    for version in ("v1", "v2"):
        labelled_image(lab, f"demo:{version}", f"cut:{version}", "cut")
    root = write_app(tmp_path, lab, service="cut", host="cut.test", image="cut")
    done = dockyard(root, "deploy", "-P", "--version", "v1", timeout=COMMAND_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    yield root
    subprocess.run(cut_link(lab, lab.servers[1].name, "up").split(), check=False)
    dockyard(root, "app", "remove", "-y")


def test_a_host_whose_link_is_cut_mid_deploy_is_named_once_and_the_next_deploy_finishes(
    lab: labs.LabInfo, cut: Path
) -> None:
    first, second = lab.servers
    hook = cut / ".kamal" / "hooks" / "pre-app-boot"  # once the proxies are up, before booting
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\n{cut_link(lab, second.name, 'down')}\n")
    hook.chmod(0o755)
    start = time.monotonic()
    line, load, done = failing(cut, lab, "deploy", "-P", "--version", "v2", app="cut.test")
    took = time.monotonic() - start
    assert took < SILENT_HOST_BOUND, f"{took:.1f}s"
    assert done.stderr.strip() == line
    assert line == (
        f"ERROR (HostsFailed): failed on 1 host(s): {second.ip}: web: starting cut-web-v2 "
        "failed: stopped answering (no reply to SSH keepalives for 12s: the host is down or "
        "the network to it is cut); what it left running is unknown; deploy again once it answers"
    )
    assert below(done) == [
        "  Where each role was left:",
        f"    {first.ip} web: switched to cut-web-v2",
        f"    {second.ip} web: unknown (the host stopped answering)",
        f"    {second.ip} worker: unknown (the host stopped answering)",
    ]
    assert load.failures == [] and load.ok > 5
    assert load.bodies <= {"hello from cut v1", "hello from cut v2"}
    assert ssh(lab, first.name, "test -e .dockyard/lock-cut").returncode == 1  # released
    # the link back, the same deploy again: it finishes the job on both servers
    hook.unlink()
    subprocess.run(cut_link(lab, second.name, "up").split(), check=True)
    with Load(first.ip, "cut.test") as load:
        again = dockyard(cut, "deploy", "-P", "--version", "v2", timeout=COMMAND_TIMEOUT)
    assert again.returncode == 0, again.stdout + again.stderr
    assert load.failures == []
    names = "--filter label=service=cut --format '{{.Names}}'"
    for host, expected in ((first, ["cut-web-v2"]), (second, ["cut-web-v2", "cut-worker-v2"])):
        running = ssh(lab, host.name, f"{lab.engine} ps {names}")
        assert sorted(running.stdout.split()) == expected, running.stdout + running.stderr
        status, body = get(host.ip, "cut.test")
        assert (status, body.strip()) == (200, "hello from cut v2")
