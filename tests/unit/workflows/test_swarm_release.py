"""A deploy or rollback to the swarm on the scripted transport (workflows/swarm/release.py):
under the deploy lock on the primary host, between the pre- and post-deploy hooks, the image
on every node before the stack is applied, the version recorded for `rollback`; a deploy Swarm
rolled back fails with the lock released and no post-deploy hook; every step failing ends with
the lock released (once taken) and one line naming the host and the cause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from dockyard.commands.cron import retire_scheduler
from dockyard.commands.edge_config import edge_config
from dockyard.config import Config, parse_config
from dockyard.engine import DOCKER
from dockyard.errors import DockyardError
from dockyard.plan.balancer import edge_settings
from dockyard.plan.swarm import VERSIONS_KEPT, edge_sites, rollback_target, versions_after
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.proxy.controller import config_text
from dockyard.workflows.server import Server
from dockyard.workflows.swarm import deploy
from dockyard.workflows.swarm.release import Rolled, SwarmRun, kept_everywhere, release_on
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import HOME
from tests.unit.workflows.test_swarm_deploy import CONFIG, HOSTS, IMAGE, STATUS

LOCK = ".dockyard/lock-shop"
SECRET = "shop_web_env_46017d589ce1"  # the env secret of v2's web role
HOOK = '#!/bin/sh\necho "{name} $KAMAL_COMMAND $KAMAL_VERSION lock=$KAMAL_LOCK" >> "{log}"\n'


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL", 0.001)


def swarm_config() -> Config:
    return parse_config([("config/deploy.yml", CONFIG)], version="v2")


EDGE_CONFIG = config_text(edge_config(edge_sites(swarm_config()), edge_settings(swarm_config())))


def manager_state(host: str) -> Reply:
    state = {"LocalNodeState": "active", "NodeID": f"n-{host}", "NodeAddr": host,
             "ControlAvailable": True, "Cluster": {"ID": "c1"},
             "RemoteManagers": [{"NodeID": "m", "Addr": "10.0.0.1:2377"}]}  # fmt: skip
    return Reply(stdout=json.dumps(state) + "\n")


def make_fake(*states: str) -> FakeTransport:
    """A swarm of two managers whose update of shop_web goes through `states`."""
    reads: list[int] = []
    states = states or ("before", "updating", "completed")

    def status(host: str, command: str) -> Reply:
        state = states[min(len(reads), len(states) - 1)]
        reads.append(1)
        said = {"State": "completed" if state == "before" else state,
                "StartedAt": "t0" if state == "before" else "t1",
                "Message": "task x1 failed" if state.startswith("rollback") else ""}  # fmt: skip
        return Reply(stdout=json.dumps(said) + "\n")

    fake = FakeTransport(
        {
            STATUS: status,
            "cat .dockyard/swarm/shop/versions": Reply(stdout="v0\nv1\n"),
            "docker secret ls": Reply(stdout=f"shop_web_env_old\n{SECRET}\n"),
        },
        default_timeout=30,
    )
    edge = Reply(stdout=f"{HOME}\0{EDGE_CONFIG}\0true\n")  # each edge already right
    for host in HOSTS:
        fake.on(host, "docker info --format", manager_state(host))
        fake.on(host, "dockyard-edge 2>/dev/null", edge)
    fake.on("10.0.0.1", "docker image inspect --format '{{json", Reply(stdout="null\n[]\n"))
    return fake


def hooks(tmp_path: Path) -> Path:
    folder = tmp_path / "hooks"
    folder.mkdir(exist_ok=True)
    for name in ("pre-deploy", "post-deploy"):
        hook = folder / name
        hook.write_text(HOOK.format(name=name, log=tmp_path / "hooks.log"))
        hook.chmod(0o755)
    return folder


def swarm_run(tmp_path: Path, command: str = "deploy") -> SwarmRun:
    return SwarmRun(swarm_config(), {}, command, hooks(tmp_path), performer="me")


async def deliver_by_registry(fake: FakeTransport, hosts: Sequence[str]) -> None:
    await kept_everywhere([Server(fake, h, DOCKER) for h in hosts], IMAGE, pull=True)


def runner(tmp_path: Path):  # type: ignore[no-untyped-def]
    async def run(fake: FakeTransport) -> Rolled:
        return await release_on(
            fake, swarm_run(tmp_path), lambda hosts: deliver_by_registry(fake, hosts)
        )

    return run


async def test_a_deploy_runs_under_the_lock_between_the_hooks(tmp_path: Path) -> None:
    fake = make_fake()
    rolled = await runner(tmp_path)(fake)
    assert rolled == Rolled("v2", "10.0.0.1", {"shop_web": "updated"})
    steps = [c.text for c in fake.calls if c.host == "10.0.0.1"]
    assert f'mkdir "$HOME/{LOCK}"' in steps[0]
    assert steps[1].startswith(f"docker image inspect --format '{{{{.Id}}}}' {IMAGE} >/dev/null")
    assert steps[-8:-6] == [
        STATUS.join(["docker service inspect ", " shop_web"]),
        'printf "%s\\0" "$HOME" && { cat "$HOME/.dockyard/edge/caddy.json" 2>/dev/null; '
        'printf "\\0"; } && { docker inspect --format '
        "'{{.State.Running}} {{range .Mounts}}{{.Destination}} {{end}}' dockyard-edge "
        '2>/dev/null || echo missing; } && { printf "\\0"; cat "$HOME/.dockyard/edge/hosts" '
        "2>/dev/null || true; }",
    ]
    assert steps[-6:] == [
        "cat .dockyard/swarm/shop/versions 2>/dev/null || true",
        ".dockyard/swarm/shop/versions",
        retire_scheduler("shop").render(),  # no job: a scheduler earlier jobs left goes
        "docker secret ls --filter label=com.docker.stack.namespace=shop --format '{{.Name}}'",
        "docker secret rm shop_web_env_old",
        f'rm -f "$HOME/{LOCK}/details" && rm -r "$HOME/{LOCK}"',
    ]
    assert fake.uploads["10.0.0.1"][-1].data == b"v0\nv1\nv2\n"
    assert (tmp_path / "hooks.log").read_text() == (
        "pre-deploy deploy v2 lock=true\npost-deploy deploy v2 lock=false\n"
    )


async def test_env_secrets_that_cannot_be_removed_are_a_warning(tmp_path: Path) -> None:
    fake = make_fake()
    fake.on("10.0.0.1", "docker secret rm", Reply(1, "", "secret is in use"))
    assert (await runner(tmp_path)(fake)).warnings == (
        "10.0.0.1: the env secrets of earlier deploys were not removed; the next deploy removes "
        "them (exited 1: secret is in use)",
    )


async def test_an_update_swarm_rolled_back_fails_with_the_lock_released(tmp_path: Path) -> None:
    fake = make_fake("before", "updating", "rollback_started", "rollback_completed")
    with pytest.raises(DockyardError, match=r"10.0.0.1: Swarm rolled the update of shop_web back"):
        await runner(tmp_path)(fake)
    assert (
        fake.commands_on("10.0.0.1")[-1] == f'rm -f "$HOME/{LOCK}/details" && rm -r "$HOME/{LOCK}"'
    )
    assert ".dockyard/swarm/shop/versions" not in [u.path for u in fake.uploads["10.0.0.1"]]
    assert (tmp_path / "hooks.log").read_text() == "pre-deploy deploy v2 lock=true\n"


async def test_a_rollback_needs_the_image_kept_on_every_node(tmp_path: Path) -> None:
    fake = make_fake()
    fake.on("10.0.0.2", "{{.Id}}", Reply(1, "", "Error: No such image: shop:v1"))
    nodes = [Server(fake, h, DOCKER) for h in HOSTS]
    with pytest.raises(DockyardError, match=r"10.0.0.2: finding .* \(kept from its deploy\)"):
        await kept_everywhere(nodes, IMAGE, pull=False)


def check(tmp_path: Path):  # type: ignore[no-untyped-def]
    def checked(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if error is None and failure.fault == "exit" and STATUS in failure.call.text:
            first = next(i for i, c in enumerate(fake.calls) if STATUS in c.text)
            if first == failure.index:
                return ""  # the read before: a service that says nothing had no update yet
        if failure.index == 0 and failure.fault == "exit":  # mkdir refused: someone holds it
            return "" if "the deploy lock on 10.0.0.1 is held" in str(error) else str(error)
        if "docker secret" in failure.call.text:  # the deploy is done: a warning
            return "" if error is None else f"a failed prune failed the deploy: {error}"
        ran = [
            c.text for i, c in enumerate(fake.calls) if c.host == "10.0.0.1" and i != failure.index
        ]
        taken = any(f'mkdir "$HOME/{LOCK}"' in text for text in ran)
        released = any(f'rm -r "$HOME/{LOCK}"' in text for text in ran)
        releasing = f'rm -r "$HOME/{LOCK}"' in failure.call.text
        if taken and not released and not releasing:
            return "the lock was taken and not released"
        return one_line_naming_host_and_cause(failure, error)

    return checked


async def test_every_step_failing_releases_the_lock_and_names_host_and_cause(
    tmp_path: Path,
) -> None:
    run = runner(tmp_path)
    steps = await happy_path(make_fake, run)
    assert len(steps) == 22
    assert await each_step_failing(make_fake, run, check(tmp_path), steps) == []


def test_the_versions_recorded_and_the_one_a_rollback_goes_to() -> None:
    assert versions_after(("v1", "v2", "v3"), "v2") == ("v1", "v3", "v2")
    many = tuple(f"v{n}" for n in range(VERSIONS_KEPT))
    assert versions_after(many, "new") == (*many[1:], "new")
    assert rollback_target(("v1", "v2", "v3"), None) == "v2"
    assert rollback_target(("v1", "v2", "v3"), "v1") == "v1"
    with pytest.raises(DockyardError, match=r"no version was deployed to the swarm before v3"):
        rollback_target(("v3",), None)
    with pytest.raises(
        DockyardError, match=r"v9 was not deployed to this swarm, .*newest first: v3, v2\)"
    ):
        rollback_target(("v2", "v3"), "v9")
