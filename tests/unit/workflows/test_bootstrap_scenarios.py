"""`server bootstrap` on the scripted transport: the happy path, then every step failing."""

from __future__ import annotations

import pytest

from dockyard.engine import DOCKER, PODMAN
from dockyard.errors import DockyardError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.server import Server
from dockyard.workflows.servers.bootstrap import bootstrap_hosts
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path

HOSTS = ("10.0.0.1", "10.0.0.2")


def make_fake() -> FakeTransport:
    fake = FakeTransport(default_timeout=30)
    return fake.on("10.0.0.2", "command -v docker", Reply(1))  # the second host lacks docker


async def run(fake: FakeTransport) -> None:
    await bootstrap_hosts(
        [Server(fake, h, DOCKER) for h in HOSTS], lambda host, message: None, lambda host, why: None
    )


async def test_the_engine_is_installed_only_where_it_is_missing() -> None:
    fake = make_fake()
    await run(fake)
    assert fake.commands_on("10.0.0.1") == ["command -v docker >/dev/null"]
    assert fake.commands_on("10.0.0.2") == [
        "command -v docker >/dev/null",
        '[ "$(id -u)" = 0 ] || exit 90; command -v apt-get >/dev/null || exit 91; '
        "DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io",
    ]


async def test_an_install_that_fails_names_the_host_and_apts_words() -> None:
    fake = make_fake().on(
        "10.0.0.2", "apt-get install", Reply(100, stderr="E: Unable to locate package docker.io\n")
    )
    with pytest.raises(DockyardError) as raised:
        await run(fake)
    assert str(raised.value) == (
        "failed on 1 host(s): 10.0.0.2: docker is missing; apt-get failed (exit 100): "
        "E: Unable to locate package docker.io; fix that, or install it by hand"
    )


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    probe = failure.call.text.startswith("command -v")
    if error is None and probe and failure.fault == "exit":
        return ""  # a probe that exits non-zero says "not installed": installing then is right
    return one_line_naming_host_and_cause(failure, error)


async def test_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_fake, run)
    assert len(steps) == 3
    assert await each_step_failing(make_fake, run, check, steps) == []


def make_podman_fake() -> FakeTransport:
    return FakeTransport(default_timeout=30)


async def run_podman(fake: FakeTransport, warnings: list[str] | None = None) -> None:
    said = warnings if warnings is not None else []
    await bootstrap_hosts(
        [Server(fake, h, PODMAN) for h in HOSTS],
        lambda host, message: None,
        lambda host, why: said.append(f"{host}: {why}"),
    )


async def test_on_podman_each_server_gets_the_start_at_boot_crontab_line() -> None:
    fake = make_podman_fake()
    await run_podman(fake)
    for host in HOSTS:
        done = fake.commands_on(host)
        assert done[0] == "command -v podman >/dev/null"
        assert done[1].startswith("mkdir -p .dockyard && cd .dockyard && { if ! command -v crontab")
        assert "@reboot PATH=" in done[1] and "# dockyard-start-at-boot" in done[1]
        assert len(done) == 2


async def test_a_podman_server_whose_crontab_cannot_be_set_is_a_warning() -> None:
    fake = make_podman_fake().on(
        "10.0.0.2",
        "crontab",
        Reply(0, stdout="no-restart-at-boot: the host has no crontab command\n"),
    )
    warnings: list[str] = []
    await run_podman(fake, warnings)
    assert warnings == [
        "10.0.0.2: warning: podman will not start the app's containers after a reboot (the host "
        "has no crontab command): after one, `dockyard proxy start` and `dockyard app start` start "
        "them; install cron and run `dockyard setup` again to have it done at boot"
    ]


async def test_on_podman_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_podman_fake, run_podman)
    assert len(steps) == 4
    assert await each_step_failing(make_podman_fake, run_podman, check, steps) == []
