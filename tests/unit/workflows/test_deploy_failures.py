"""The failures of issue #12 on the scripted transport, one by one: a primary role that cannot
start while a worker waits on it, a container that exits at once, a rollback to a version that
is gone, a bug in a step, a lock that cannot be released after a failure, a prune that fails
after the switch; and the round trips of a successful deploy."""

from __future__ import annotations

import asyncio
import re

import pytest

from dockyard.commands import app as app_commands
from dockyard.errors import (
    DeployFailed,
    DockyardError,
    HostsFailed,
    HostUnreachable,
    LockError,
    SshConnectError,
)
from dockyard.ssh.fake import Reply
from dockyard.workflows.deploy.boot import BootFailed
from dockyard.workflows.deploy.deploy import DeployOptions, deploy
from dockyard.workflows.deploy.rollback import restarting
from tests.unit.workflows.faults import BOUND, one_line
from tests.unit.workflows.fleet import Fleet, ScriptedServers, fast_waits, plan_of
from tests.unit.workflows.test_deploy_scenarios import APP, ASSETS, ROLLBACK, SEPARATE_HOSTS

LOCK = '"$HOME/.dockyard/lock-demo"'


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


async def failure(fleet: Fleet, fake: ScriptedServers, options: DeployOptions) -> DockyardError:
    """What a deploy that must fail raises, within the harness's bound (else TimeoutError)."""
    with pytest.raises(DockyardError) as caught:
        async with asyncio.timeout(BOUND):
            await deploy(fake, fleet.plan, options)
    return caught.value


async def failed(fleet: Fleet, fake: ScriptedServers, options: DeployOptions) -> str:
    """The one line a deploy that must fail ends with."""
    line = one_line(await failure(fleet, fake, options))
    assert "\n" not in line
    return line


def released_after_taken(fake: ScriptedServers, host: str = "10.0.0.1") -> bool:
    ran = fake.commands_on(host)
    taken = [i for i, text in enumerate(ran) if f"mkdir {LOCK}" in text]
    return bool(taken) and any(f"rm -r {LOCK}" in text for text in ran[taken[-1] + 1 :])


def switched(fake: ScriptedServers) -> list[str]:
    return [c.host for c in fake.calls if "/proxy/live/demo-web.b" in c.text]


async def test_a_worker_waiting_on_a_primary_the_engine_refuses_stops_at_once() -> None:
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    refused = "unknown flag: --bogus\nSee 'docker run --help'."
    fake.on("10.0.0.1", "docker run", Reply(125, "", refused))
    line = await failed(fleet, fake, DeployOptions())
    assert "10.0.0.1: web: starting demo-web-v2 failed: exited 125: unknown flag: --bogus" in line
    assert (
        "10.0.0.2: worker: not booted, because the primary role web failed on 10.0.0.1 "
        "(web: starting demo-web-v2 failed: exited 125: unknown flag: --bogus"
    ) in line
    assert fake.commands_on("10.0.0.2") == []  # the worker never started
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_a_new_container_that_exits_at_once_is_stopped_and_the_old_keeps_serving() -> None:
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    fake.on("10.0.0.1", "{{.State.Status}}", Reply(stdout="exited\t\t\n"))
    exited = "--- dockyard: run ---\nwebv2h1new\nexited\t\t\n"
    fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout=exited))
    fake.on("10.0.0.1", "docker logs", Reply(stdout="boot error: no DATABASE_URL\n"))
    error = await failure(fleet, fake, DeployOptions())
    line = one_line(error)
    assert "10.0.0.1: web: demo-web-v2 did not become healthy (the container is exited)" in line
    assert "it was stopped and any previous version keeps serving" in line
    assert isinstance(error, DeployFailed)
    assert [(r.host, r.role, r.state) for r in error.left] == [
        ("10.0.0.1", "web", "kept"),
        ("10.0.0.2", "worker", "kept"),
    ]
    assert isinstance(error.error, HostsFailed)
    boot_failed = error.error.errors["10.0.0.1"]
    assert isinstance(boot_failed, BootFailed)
    assert boot_failed.logs == "boot error: no DATABASE_URL"  # printed with the error line
    assert any(c.startswith("docker stop -t 1 demo-web-v2 ") for c in fake.commands_on("10.0.0.1"))
    assert not any("webv1h1" in text for text in fake.commands_on("10.0.0.1"))
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_a_new_container_that_restarts_after_its_stop_is_removed_and_the_line_says_so() -> (
    None
):
    """Podman 4.3 restarts a container that exits at once even after `podman stop`."""
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    exited = "--- dockyard: run ---\nwebv2h1new\nexited\t\t\n"
    fake.on("10.0.0.1", "{{.State.Status}}", Reply(stdout="exited\t\t\n"))
    fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout=exited))
    fake.on("10.0.0.1", "{{.RestartCount}}", Reply(stdout="removed\n"))  # ahead of the above
    line = await failed(fleet, fake, DeployOptions())
    assert "10.0.0.1: web: demo-web-v2 did not become healthy (the container is exited)" in line
    assert (
        "it kept restarting after it was stopped, so it was removed; any previous version "
        "keeps serving"
    ) in line
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_the_old_version_is_stopped_only_once_no_request_waits_to_retry_a_dial() -> None:
    # Between two attempts of a failed dial a request is in no in-flight count: Caddy's count
    # of recent failed attempts keeps the drain waiting (see caddy_config.FAIL_WINDOW)
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    retrying = b'[{"address":"demo-web--a:3000","num_requests":0,"fails":2}]'
    in_flight = b'[{"address":"demo-web--a:3000","num_requests":1,"fails":0}]'
    fake.admin.upstreams["10.0.0.1"] = [retrying, in_flight, retrying]
    async with asyncio.timeout(BOUND):
        result = await deploy(fake, fleet.plan, DeployOptions())
    assert [b.undrained for b in result.booted if b.role == "web"] == [{}]
    ran = [c for c in fake.calls if c.host == "10.0.0.1"]
    looks = [i for i, c in enumerate(ran) if c.text.endswith("admin.sock")]
    stop = next(i for i, c in enumerate(ran) if "docker stop" in c.text and "webv1h1" in c.text)
    assert len(looks) == 4 and looks[-1] < stop  # 3 busy answers, then nothing left


async def test_a_new_version_the_proxy_cannot_reach_by_its_slot_alias_is_never_switched_to() -> (
    None
):
    # The container answers on its address, but the proxy's resolver does not know the alias
    # the route would dial (Caddy answers the probe with a 502 that says why).
    fleet = Fleet(plan_of(SEPARATE_HOSTS + "deploy_timeout: 1\n"))
    fake = fleet.make()
    fake.apps.resolve = lambda host, upstream: None
    error = await failure(fleet, fake, DeployOptions())
    line = one_line(error)
    assert re.search(
        r'10\.0\.0\.1: web: demo-web-v2 did not become healthy \(502 Bad Gateway: "proxy to '
        r'demo-web--b:3000: dial tcp: lookup demo-web--b: no such host"\); probed GET /up '
        r"\(proxy/healthcheck/path, default /up\) on port 3000 \(proxy/app_port\) \d+ times in "
        r"\d\.\ds; it was stopped and any previous version keeps serving",
        line,
    ), line
    assert "10.0.0.2: worker: not booted, because the primary role web failed on 10.0.0.1" in line
    probes = [c for c in fake.calls if c.kind == "connect" and c.text.endswith("/probe.sock")]
    assert probes and all(c.host == "10.0.0.1" for c in probes)
    assert not [c for c in fake.calls if c.kind == "connect" and c.text.startswith("172.")]
    assert any(c.startswith("docker stop -t 1 demo-web-v2 ") for c in fake.commands_on("10.0.0.1"))
    assert not any("webv1h1" in text for text in fake.commands_on("10.0.0.1"))
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_a_rollback_with_the_proxy_stopped_says_so_at_once_and_changes_nothing() -> None:
    # New versions are checked through the proxy, so a deploy that does not boot it needs it
    fleet = Fleet(restarting(plan_of(APP, version="v1")), serving="v2", kept=("v1",))
    fake = fleet.make()
    fake.proxies["10.0.0.1"].running = False
    line = await failed(fleet, fake, ROLLBACK)
    assert line.startswith(
        "ERROR (HostsFailed): failed on 1 host(s): 10.0.0.1: checking the proxy failed: the "
        "proxy is not running, and new versions are checked through it: run `dockyard proxy "
        "boot`; no version was changed"
    )
    changes = [c for c in fake.calls if c.kind != "run" or " start " in c.text or "stop" in c.text]
    assert changes == []
    assert released_after_taken(fake)


async def test_a_rollback_first_loads_the_config_a_proxy_from_an_older_dockyard_lacks() -> None:
    # caddy.json without the probe server: the config is loaded before a new version is probed
    fleet = Fleet(restarting(plan_of(APP, version="v1")), serving="v2", kept=("v1",))
    fake = fleet.make()
    for model in fake.proxies.values():
        model.config = model.config.replace('"probe"', '"retired"')
    async with asyncio.timeout(BOUND):
        await deploy(fake, fleet.plan, ROLLBACK)
    for host in ("10.0.0.1", "10.0.0.2"):
        assert len(fake.admin.loads[host]) == 1
        steps = [c for c in fake.calls if c.host == host]
        loaded = steps.index(next(c for c in steps if c.text.endswith("admin.sock")))
        probed = steps.index(next(c for c in steps if c.text.endswith("probe.sock")))
        assert loaded < probed


async def test_a_rollback_to_a_version_that_is_gone_says_so_and_changes_nothing() -> None:
    fleet = Fleet(restarting(plan_of(APP, version="v0")), serving="v2", kept=("v1",))
    fake = fleet.make()
    line = await failed(fleet, fake, ROLLBACK)
    assert (
        "10.0.0.1: web: version v0 is not kept as a container here (`dockyard app containers` "
        "lists them); nothing was changed: deploy v0 instead"
    ) in line
    changes = [c for c in fake.calls if c.kind != "run" or " start " in c.text or "stop" in c.text]
    assert changes == []  # nothing started, nothing stopped, no stream (no probe, no switch)
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_a_bug_in_a_step_ends_the_deploy_with_one_line_naming_the_role() -> None:
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout="no marker in this output\n"))
    line = await failed(fleet, fake, DeployOptions())
    assert "10.0.0.1: web: starting demo-web-v2 failed: ValueError: not enough values" in line
    assert "10.0.0.2: worker: not booted, because the primary role web failed" in line
    assert released_after_taken(fake)


async def test_a_lock_that_cannot_be_released_after_a_failure_is_said_with_the_failure() -> None:
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    fake.on("10.0.0.1", f"rm -r {LOCK}", SshConnectError("10.0.0.1", "connection lost: gone"))
    fake.on("10.0.0.1", "docker tag", SshConnectError("10.0.0.1", "connection lost: gone"))
    error = await failure(fleet, fake, DeployOptions())
    assert isinstance(error, DeployFailed) and isinstance(error.error, LockError)
    line = one_line(error)
    assert line.startswith("ERROR (LockError): failed on 1 host(s): 10.0.0.1: finishing the ")
    assert line.endswith(
        "; and the deploy lock on 10.0.0.1 could not be released (connection lost: gone): "
        "run `dockyard lock release`"
    )


@pytest.mark.parametrize("config", [APP, ASSETS], ids=["without-assets", "with-assets"])
async def test_a_successful_deploy_takes_7_round_trips_on_the_primary_and_6_on_others(
    config: str,
) -> None:
    """With the image's pull (delivery), 8 and 7: what bench/deploy.py counts in sshd's log.
    Bridging assets costs no trip: they are prepared in the trip that reads the proxy's state,
    and the old ones retired in the last one."""
    fleet = Fleet(plan_of(config.replace("  worker: {hosts: [10.0.0.2], cmd: bin/work}\n", "")))
    fake = fleet.make()
    async with asyncio.timeout(BOUND):
        await deploy(fake, fleet.plan, DeployOptions())
    assert [fake.stats(h).round_trips for h in ("10.0.0.1", "10.0.0.2")] == [7, 6]


async def test_a_prune_that_fails_leaves_the_deploy_done_with_a_warning_per_host() -> None:
    fleet = Fleet(plan_of(APP))
    fake = fleet.make()
    refused = (
        "--- dockyard: prune ---\nremoved container 0123456789ab\n"
        'Error response from daemon: conflict: unable to remove repository reference "x:v0"\n'
        "--- dockyard: prune failed, exit 1\n"
    )
    for host in ("10.0.0.1", "10.0.0.2"):
        fake.on(host, "--- dockyard: prune ---", Reply(stdout=f"webv1h1\n{refused}"))
    async with asyncio.timeout(BOUND):
        result = await deploy(fake, fleet.plan, DeployOptions())
    assert result.warnings == tuple(
        f"{host}: pruning old containers and images failed (exited 1: Error response from "
        'daemon: conflict: unable to remove repository reference "x:v0"); v2 serves: run '
        "`dockyard prune all` once that is fixed"
        for host in ("10.0.0.1", "10.0.0.2")
    )
    assert sorted(switched(fake)) == ["10.0.0.1", "10.0.0.2"]
    assert released_after_taken(fake)  # in the same trip, after the prune (see the shell test)
    finish = fake.commands_on("10.0.0.1")[-1]
    assert finish.index("--- dockyard: prune ---") < finish.index(f"rm -r {LOCK}")


async def test_assets_missing_from_the_image_stop_the_deploy_before_anything_boots() -> None:
    fleet = Fleet(plan_of(ASSETS))
    fake = fleet.make()
    missing = (
        "Error response from daemon: Could not find the file /rails/public/assets in container "
        "0f1e2d3c4b5a"
    )
    fake.on("10.0.0.2", "container cp", Reply(1, "", missing))
    line = await failed(fleet, fake, DeployOptions())
    assert line == (
        "ERROR (HostsFailed): failed on 1 host(s): 10.0.0.2: extracting the assets of web and "
        f"booting the proxy failed: exited 1: {missing}; no version was changed; deploy again "
        "once this is fixed"
    )
    assert not any("docker run" in c.text for c in fake.calls)  # nothing booted anywhere
    assert switched(fake) == []
    assert released_after_taken(fake)


async def test_assets_that_cannot_be_retired_leave_the_new_version_serving() -> None:
    fleet = Fleet(plan_of(ASSETS))
    fake = fleet.make()
    busy = "rm: cannot remove 'volumes/v1/app.css': Device or resource busy"
    fake.on("10.0.0.1", "touch -c", Reply(1, "", busy))
    line = await failed(fleet, fake, DeployOptions())
    assert line == (
        "ERROR (HostsFailed): failed on 1 host(s): 10.0.0.1: finishing the deploy (stopping the "
        "replaced versions and retiring their assets, tagging latest, the audit line, pruning) "
        f"failed: exited 1: {busy}; v2 serves; the replaced versions may still run: "
        "`dockyard app stale_containers --stop`"
    )
    assert switched(fake) == ["10.0.0.1", "10.0.0.2"]


async def test_a_host_that_stops_answering_is_said_once_and_left_unknown() -> None:
    """The second host goes silent as its new web container starts: the first host switches,
    the error names the silent host once, the summary says where each role was left."""
    fleet = Fleet(plan_of(APP))  # web on both hosts, a worker on the second
    fake = fleet.make()
    gone: set[str] = set()

    def cut(host: str, wire: str) -> HostUnreachable | None:
        if host == "10.0.0.2" and app_commands.RUN_MARKER in wire:
            gone.add(host)
        return HostUnreachable(host, 12) if host in gone else None

    fake.first(cut)
    error = await failure(fleet, fake, DeployOptions())
    line = one_line(error)
    assert (
        "10.0.0.2: web: starting demo-web-v2 failed: stopped answering (no reply to SSH "
        "keepalives for 12s: the host is down or the network to it is cut); what it left running "
        "is unknown; deploy again once it answers"
    ) in line
    assert line.count("10.0.0.2") == 1 and line.count("stopped answering") == 1
    assert isinstance(error, DeployFailed)
    assert [(r.host, r.role, r.state, r.summary) for r in error.left] == [
        ("10.0.0.1", "web", "switched", "switched to demo-web-v2"),
        ("10.0.0.2", "web", "unknown", "unknown (the host stopped answering)"),
        ("10.0.0.2", "worker", "unknown", "unknown (the host stopped answering)"),
    ]
    assert switched(fake) == ["10.0.0.1"]
    assert released_after_taken(fake)


async def test_a_host_that_goes_silent_as_a_failed_container_is_cleaned_up_is_left_unknown() -> (
    None
):
    """The new web container exits at once, and the host stops answering while its logs are
    read: nothing says the old version still serves there, so the row is unknown, not kept."""
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    fake.on("10.0.0.1", "{{.State.Status}}", Reply(stdout="exited\t\t\n"))
    exited = "--- dockyard: run ---\nwebv2h1new\nexited\t\t\n"
    fake.on("10.0.0.1", "--- dockyard: run ---", Reply(stdout=exited))
    gone: set[str] = set()

    def cut(host: str, wire: str) -> HostUnreachable | None:
        if host == "10.0.0.1" and "docker logs" in wire:
            gone.add(host)
        return HostUnreachable(host, 12) if host in gone else None

    fake.first(cut)
    error = await failure(fleet, fake, DeployOptions())
    line = one_line(error)
    assert "10.0.0.1: web: demo-web-v2 did not become healthy (the container is exited)" in line
    assert (
        "the host stopped answering before it could be stopped; what it left running is "
        "unknown; deploy again once it answers"
    ) in line
    assert "keeps serving" not in line.split("10.0.0.2")[0]
    assert isinstance(error, DeployFailed)
    assert [(r.host, r.role, r.state) for r in error.left] == [
        ("10.0.0.1", "web", "unknown"),
        ("10.0.0.2", "worker", "kept"),
    ]
    assert switched(fake) == []
