"""A failed health check, on the scripted transport, says in its one line what answered last
(status and a line of the body, or why nothing answered), what was probed, how often, and the
keys that set it; a wait that lasts says how it goes on the host's progress lines."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from dockyard.errors import DeployFailed, DockyardError, HostsFailed, SshError
from dockyard.ssh.fake import Reply
from dockyard.workflows.deploy import health
from dockyard.workflows.deploy.deploy import DeployOptions, deploy
from tests.unit.facts.test_http import BUSYBOX_404
from tests.unit.workflows.faults import BOUND
from tests.unit.workflows.fleet import Fleet, ScriptedServers, fast_waits, plan_of
from tests.unit.workflows.test_deploy_scenarios import SEPARATE_HOSTS, WITHOUT_PROXY

QUICK = SEPARATE_HOSTS + "deploy_timeout: 1\n"  # a check that fails gives up after 1 s
KEPT = (
    "it was stopped and any previous version keeps serving; deploy again once this is fixed; "
    "it logged nothing"
)


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


async def failed_boot(
    config: str, fake_setup: Callable[[ScriptedServers], None] | None = None
) -> tuple[str, list[str]]:
    """Deploy a config whose first host's check fails: (that host's error line, progress)."""
    fleet = Fleet(plan_of(config))
    fake = fleet.make()
    if fake_setup is not None:
        fake_setup(fake)
    said: list[str] = []
    with pytest.raises(DockyardError) as caught:
        async with asyncio.timeout(BOUND):
            await deploy(fake, fleet.plan, DeployOptions(), lambda h, m: said.append(f"{h} {m}"))
    failed = caught.value
    assert isinstance(failed, DeployFailed) and isinstance(failed.error, HostsFailed)
    return str(failed.error.errors["10.0.0.1"]), said


def answers_404(fake: ScriptedServers) -> None:
    fake.apps.reply = (404, BUSYBOX_404)


async def test_a_404_names_the_path_its_key_the_status_and_the_body_in_one_line() -> None:
    line, _ = await failed_boot(QUICK, answers_404)
    assert re.fullmatch(
        r'10\.0\.0\.1: web: demo-web-v2 did not become healthy \(404 Not Found: "404 Not Found '
        r'The requested URL was not found"\); probed GET /up \(proxy/healthcheck/path, default '
        r"/up\) on port 3000 \(proxy/app_port\) \d+ times in \d\.\ds; " + re.escape(KEPT),
        line,
    ), line


async def test_a_role_with_its_own_health_path_names_its_own_key() -> None:
    own = QUICK.replace(
        "web: [10.0.0.1]", "web: {hosts: [10.0.0.1], proxy: {healthcheck: {path: /health}}}"
    )
    line, _ = await failed_boot(own, answers_404)
    assert (
        "probed GET /health (servers/web/proxy/healthcheck/path, default /up) on port 3000 "
        "(proxy/app_port) "
    ) in line


async def test_nothing_listening_says_no_http_answer_and_why() -> None:
    def refused(fake: ScriptedServers) -> None:  # the check goes through the proxy's probe socket
        refusal = SshError("10.0.0.1", "the server refused to open a channel: Connection refused")
        fake.on("10.0.0.1", "connect /home/deploy/.dockyard/proxy/probe.sock", refusal)

    line, _ = await failed_boot(QUICK, refused)
    assert line.startswith(
        "10.0.0.1: web: demo-web-v2 did not become healthy (no HTTP answer: the server refused "
        "to open a channel: Connection refused); probed GET /up (proxy/healthcheck/path, "
        "default /up) on port 3000 (proxy/app_port) "
    ), line


async def test_a_long_wait_says_the_attempt_the_time_and_the_last_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "REPORT_AFTER", 0.0)
    monkeypatch.setattr(health, "REPORT_EVERY", 0.0)
    _, said = await failed_boot(QUICK, answers_404)
    waiting = [m for m in said if "not healthy yet" in m]
    assert waiting[0] == (
        "10.0.0.1 web: demo-web-v2 not healthy yet: attempt 1, 0s of 1s; GET /up: 404 Not Found: "
        '"404 Not Found The requested URL was not found"'
    )
    assert waiting[1].startswith("10.0.0.1 web: demo-web-v2 not healthy yet: attempt 2, ")


async def test_a_worker_that_exits_names_the_rule_and_its_key() -> None:
    def exits(fake: ScriptedServers) -> None:
        fake.on("10.0.0.1", "{{.State.Status}}", Reply(stdout="exited\t\t\n"))
        started = "--- dockyard: run ---\nwebv2h1new\nexited\t\t\n"
        fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout=started))

    line, _ = await failed_boot(WITHOUT_PROXY, exits)
    assert line == (
        "10.0.0.1: web: demo-web-v2 did not become healthy (the container is exited); without "
        "the proxy, a container is ready once it still runs after readiness_delay (0s); " + KEPT
    )


async def test_a_worker_with_its_own_health_check_names_what_sets_it() -> None:
    def unhealthy(fake: ScriptedServers) -> None:
        fake.on("10.0.0.1", "{{.State.Status}}", Reply(stdout="running\tunhealthy\t\n"))
        started = "--- dockyard: run ---\nwebv2h1new\nrunning\tunhealthy\t\n"
        fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout=started))

    line, _ = await failed_boot(WITHOUT_PROXY, unhealthy)
    assert re.fullmatch(
        r"10\.0\.0\.1: web: demo-web-v2 did not become healthy \(unhealthy\); checked by its own "
        r"health check \(the image's HEALTHCHECK, or servers/web/options/health-cmd\) for "
        r"\d\.\ds; " + re.escape(KEPT),
        line,
    ), line


async def test_a_healthy_deploy_says_which_roles_serve_and_which_run() -> None:
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    said: list[str] = []
    await deploy(fleet.make(), fleet.plan, DeployOptions(), lambda h, m: said.append(f"{h} {m}"))
    assert "10.0.0.1 web: demo-web-v2 is serving" in said
    assert "10.0.0.2 worker: demo-worker-v2 is running" in said
    assert not [m for m in said if "not healthy yet" in m or "not ready yet" in m]
