"""deploy, rollback and app boot on the scripted transport: the exact remote steps of each
scenario per host, then every step failing in turn (exit 1, dropped connection, no answer, the
host going silent from that step on).

The expected steps are in expected/<scenario>.txt (per host, in order; times and random tokens
replaced). How a failing run must end is in deploy_rules.py: within the harness's bound, the
lock released, the serving version left serving, one error line naming host, role and cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.ssh.fake import Call
from dockyard.workflows.deploy.deploy import DeployOptions, DeployResult, deploy
from dockyard.workflows.deploy.rollback import restarting
from tests.unit.workflows.deploy_rules import DeployRules
from tests.unit.workflows.faults import WITH_SILENT, each_step_failing, happy_path
from tests.unit.workflows.fleet import Fleet, ScriptedServers, fast_waits, plan_of, transcript

EXPECTED = Path(__file__).parent / "expected"

APP = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1, 10.0.0.2]
  worker: {hosts: [10.0.0.2], cmd: bin/work}
proxy: {host: demo.test, app_port: 3000}
env: {secret: [SECRET_KEY]}
readiness_delay: 0
"""
WITHOUT_PROXY = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: {hosts: [10.0.0.1, 10.0.0.2], proxy: false}
  worker: {hosts: [10.0.0.2], cmd: bin/work}
env: {secret: [SECRET_KEY]}
readiness_delay: 0
"""
# web's fingerprinted assets are bridged between versions (the worker is not proxied: none).
ASSETS = APP + "asset_path: /rails/public/assets\n"
# The worker's host has no web: it waits on the primary-role barrier (Kamal's rule).
# The worker runs its own image (x-dockyard/images): booted, tagged latest and rolled back
# with the rest.
ROLE_IMAGE = APP + "x-dockyard: {images: {worker: demo/worker}}\n"
SEPARATE_HOSTS = APP.replace("web: [10.0.0.1, 10.0.0.2]", "web: [10.0.0.1]")
DEPLOY = DeployOptions()
APP_BOOT = DeployOptions(command="app", boot_proxy=False, prune=False, deploy_hooks=False)
ROLLBACK = DeployOptions(command="rollback", boot_proxy=False, prune=False)


@dataclass(frozen=True)
class Scenario:
    name: str
    fleet: Fleet
    options: DeployOptions = DEPLOY
    old_version: str | None = None  # the version serving before, when not fleet.serving

    async def run(self, fake: ScriptedServers) -> DeployResult:
        return await deploy(fake, self.fleet.plan, self.options)

    def rules(self, steps: Sequence[Call]) -> DeployRules:
        return DeployRules(self.fleet, steps, self.old_version)


SCENARIOS = [
    Scenario("deploy", Fleet(plan_of(APP))),
    Scenario("deploy-parallel-roles", Fleet(plan_of(APP + "boot: {parallel_roles: true}\n"))),
    Scenario("deploy-separate-hosts", Fleet(plan_of(SEPARATE_HOSTS))),
    Scenario("deploy-boot-groups", Fleet(plan_of(APP + "boot: {limit: 1, wait: 0}\n"))),
    Scenario("deploy-fresh-servers", Fleet(plan_of(APP), serving=None, proxy_running=False)),
    Scenario("deploy-without-proxy", Fleet(plan_of(WITHOUT_PROXY), proxy_running=False)),
    Scenario(
        "deploy-without-proxy-fresh-servers",
        Fleet(plan_of(WITHOUT_PROXY), serving=None, proxy_running=False),
    ),
    Scenario("app-boot", Fleet(plan_of(APP, version="v1")), APP_BOOT),
    Scenario(
        "rollback",
        Fleet(restarting(plan_of(APP, version="v1")), serving="v2", kept=("v1",)),
        ROLLBACK,
        old_version="v2",
    ),
    Scenario("deploy-assets", Fleet(plan_of(ASSETS))),
    Scenario("deploy-role-image", Fleet(plan_of(ROLE_IMAGE))),
    Scenario(
        "rollback-role-image",
        Fleet(restarting(plan_of(ROLE_IMAGE, version="v1")), serving="v2", kept=("v1",)),
        ROLLBACK,
        old_version="v2",
    ),
    Scenario(
        "rollback-assets",
        Fleet(restarting(plan_of(ASSETS, version="v1")), serving="v2", kept=("v1",)),
        ROLLBACK,
        old_version="v2",
    ),
]


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_the_happy_path_runs_exactly_these_steps(scenario: Scenario) -> None:
    fake = scenario.fleet.make()
    result = await scenario.run(fake)
    roles = sorted((b.host, b.role) for b in result.booted)
    assert roles == sorted((h.host, b.role) for h in scenario.fleet.host_boots for b in h.roles)
    expected = (EXPECTED / f"{scenario.name}.txt").read_text()
    assert transcript(fake) == expected


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_every_step_failing_ends_cleanly(scenario: Scenario) -> None:
    steps = await happy_path(scenario.fleet.make, scenario.run)
    rules = scenario.rules(steps)
    problems = await each_step_failing(
        scenario.fleet.make, scenario.run, rules.check, steps, WITH_SILENT
    )
    assert problems == [], f"{len(problems)} of {len(steps) * len(WITH_SILENT)} cases"
