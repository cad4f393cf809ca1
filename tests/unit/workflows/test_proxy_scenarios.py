"""`proxy boot` (ProxyController.boot) on the scripted transport: on a fresh server, on one whose
proxy runs an outdated config, and on one already right; then every step failing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dockyard.engine import DOCKER
from dockyard.ssh.fake import FakeTransport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause, polled_after_start
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import Fleet, ScriptedServers, fast_waits, plan_of, transcript
from tests.unit.workflows.test_deploy_scenarios import APP, EXPECTED

FLEET = Fleet(plan_of(APP))
FRESH = Fleet(plan_of(APP), serving=None, proxy_running=False)


def outdated() -> ScriptedServers:
    """Proxies that run, from a caddy.json older than their route files."""
    fake = FLEET.make()
    for model in fake.proxies.values():
        model.config = "{}\n"
    return fake


SCENARIOS: list[tuple[str, Callable[[], ScriptedServers]]] = [
    ("proxy-boot-fresh-servers", FRESH.make),
    ("proxy-boot-outdated-config", outdated),
    ("proxy-boot-up-to-date", FLEET.make),
]


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


async def boot(fake: FakeTransport) -> None:
    plan = FLEET.plan
    servers = [Server(fake, host, DOCKER) for host in plan.proxy_hosts]

    async def one(server: Server) -> None:
        await ProxyController(server, plan.proxy_settings).boot(plan.proxy_containers[server.host])

    await on_servers(servers, one)


@pytest.mark.parametrize(("name", "make"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
async def test_the_happy_path_runs_exactly_these_steps(
    name: str, make: Callable[[], ScriptedServers]
) -> None:
    fake = make()
    await boot(fake)
    assert all(model.running for model in fake.proxies.values())
    assert transcript(fake) == (EXPECTED / f"{name}.txt").read_text()


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    if error is None and polled_after_start(failure.call, fake):
        return ""
    return one_line_naming_host_and_cause(failure, error)


@pytest.mark.parametrize(("name", "make"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
async def test_every_step_failing_ends_with_one_line_naming_host_and_cause(
    name: str, make: Callable[[], ScriptedServers]
) -> None:
    steps = await happy_path(make, boot)
    assert await each_step_failing(make, boot, check, steps) == []
