"""`server bootstrap` on the scripted transport: the happy path, then every step failing."""

from __future__ import annotations

from dockyard.engine import DOCKER
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.server import Server
from dockyard.workflows.servers.bootstrap import bootstrap_hosts
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path, one_line

HOSTS = ("10.0.0.1", "10.0.0.2")


def make_fake() -> FakeTransport:
    fake = FakeTransport(default_timeout=30)
    return fake.on("10.0.0.2", "command -v docker", Reply(1))  # the second host lacks docker


async def run(fake: FakeTransport) -> None:
    await bootstrap_hosts([Server(fake, h, DOCKER) for h in HOSTS], lambda host, message: None)


async def test_the_engine_is_installed_only_where_it_is_missing() -> None:
    fake = make_fake()
    await run(fake)
    assert fake.commands_on("10.0.0.1") == ["command -v docker >/dev/null"]
    assert fake.commands_on("10.0.0.2") == [
        "command -v docker >/dev/null",
        "[ $(id -u) = 0 ] && command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive "
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io",
    ]


def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
    line = one_line(error)
    probe = "command -v" in failure.call.text
    if error is None:
        # a probe that exits non-zero says "not installed": installing then is right
        return "" if probe and failure.fault == "exit" else "it succeeded although a step failed"
    if "\n" in line:
        return f"the error is not one line: {line!r}"
    if failure.call.host not in line:
        return f"the error does not name the host: {line}"
    return ""


async def test_every_step_failing_ends_with_one_line_naming_the_host() -> None:
    steps = await happy_path(make_fake, run)
    assert len(steps) == 3
    assert await each_step_failing(make_fake, run, check, steps) == []
