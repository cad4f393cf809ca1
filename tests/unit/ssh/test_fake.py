"""FakeTransport: recorded commands, scripted replies, per-host failures."""

from __future__ import annotations

import asyncio

import pytest

from dockyard.commands.base import cmd
from dockyard.errors import CommandFailed, CommandTimeout, SshConnectError, SshError
from dockyard.redaction import Secret
from dockyard.ssh.fake import HANG, Call, FakeTransport, Reply, Upload
from dockyard.ssh.transport import UNBOUNDED, Transport


def as_transport(fake: FakeTransport) -> Transport:
    return fake  # type-checks that FakeTransport satisfies the Protocol


async def test_records_commands_per_host_redacted_and_sent() -> None:
    fake = FakeTransport()
    await as_transport(fake).run("a", cmd("docker", "login", "-p", Secret("pw")))
    await fake.run("b", cmd("true"), input="data", env={"X": "1"})
    assert fake.commands_on("a") == ["docker login -p [REDACTED]"]
    assert fake.sent_on("a") == ["docker login -p pw"]
    assert fake.commands_on("b") == ["export X=1; true"]
    assert fake.inputs["b"] == ["data"]
    assert fake.stats("a").commands == 1


async def test_replies_by_substring_host_rules_first() -> None:
    fake = FakeTransport({"container ls": Reply(stdout="abc\n"), "stop": Reply(1, "", "no")})
    fake.on("b", "container ls", Reply(stdout="def\n"))
    assert (await fake.run("a", cmd("docker", "container", "ls"))).stdout == "abc\n"
    assert (await fake.run("b", cmd("docker", "container", "ls"))).stdout == "def\n"
    assert (await fake.run("a", cmd("echo"))).stdout == ""
    with pytest.raises(CommandFailed) as caught:
        await fake.run("a", cmd("docker", "stop", "x"))
    assert caught.value.result.stderr == "no"
    assert (await fake.run("a", cmd("docker", "stop", "x"), check=False)).exit_status == 1


async def test_exceptions_and_callables_as_replies() -> None:
    fake = FakeTransport({"echo": lambda host, command: Reply(stdout=f"{host}:{command}")})
    fake.on("down", "", SshConnectError("down", "connection refused"))
    assert (await fake.run("up", cmd("echo", "hi"))).stdout == "up:echo hi"
    with pytest.raises(SshConnectError):
        await fake.run("down", cmd("echo", "hi"))
    with pytest.raises(SshConnectError):
        await fake.upload("down", b"x", "f")


async def test_uploads_are_recorded() -> None:
    fake = FakeTransport()
    await fake.upload("a", b"K=V\n", ".dockyard/app.env")
    assert fake.uploads["a"] == [Upload(".dockyard/app.env", b"K=V\n", 0o600)]
    assert fake.stats("a").uploads == 1


async def test_streams_need_a_handler() -> None:
    fake = FakeTransport()
    with pytest.raises(SshError, match="pass open_unix="):
        await fake.open_unix_connection("a", "/run/admin.sock")
    with pytest.raises(SshError, match="pass open_tcp="):
        await fake.open_tcp_connection("a", "10.0.0.5", 80)
    assert fake.stats("a").streams == 2
    await fake.close()
    assert fake.closed


async def test_a_step_that_never_answers_ends_at_its_deadline() -> None:
    fake = FakeTransport({"docker run": HANG}, default_timeout=5)
    with pytest.raises(CommandTimeout) as own:
        await fake.run("a", cmd("docker", "run", "x"), timeout=2)
    assert (own.value.host, own.value.seconds) == ("a", 2)
    with pytest.raises(CommandTimeout) as default:
        await fake.run("a", cmd("docker", "run", "x"))
    assert default.value.seconds == 5


async def test_a_step_with_no_deadline_that_never_answers_hangs() -> None:
    unbounded = FakeTransport({"docker run": HANG}, default_timeout=5)
    no_default = FakeTransport({"docker run": HANG})
    for fake, timeout in ((unbounded, UNBOUNDED), (no_default, None)):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await fake.run("a", cmd("docker", "run", "x"), timeout=timeout)
    upload = FakeTransport({"upload .env": HANG}, default_timeout=5)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await upload.upload("a", b"x", ".env", timeout=UNBOUNDED)


async def test_an_upload_that_never_answers_ends_at_its_deadline() -> None:
    fake = FakeTransport({"upload .env": HANG}, default_timeout=5)
    with pytest.raises(CommandTimeout) as default:
        await fake.upload("a", b"x", ".env")
    assert (str(default.value), default.value.seconds) == (
        "a: `upload .env` did not finish within 5s",
        5,
    )
    with pytest.raises(CommandTimeout) as own:
        await fake.upload("a", b"x", ".env", timeout=2)
    assert own.value.seconds == 2


async def test_every_step_is_recorded_in_order_and_a_callable_picks_which_to_fail() -> None:
    seen: list[str] = []

    def third_fails(host: str, wire: str) -> Reply | None:
        seen.append(wire)
        return Reply(1, "", "boom") if len(seen) == 3 else None

    fake = FakeTransport({"echo": Reply(stdout="hi\n")}).first(third_fails)
    await fake.run("a", cmd("echo"))
    await fake.upload("b", b"x", "f")
    assert (await fake.run("b", cmd("echo"), check=False)).exit_status == 1
    assert (await fake.run("a", cmd("echo"))).stdout == "hi\n"
    assert fake.calls == [
        Call("a", "run", "echo"), Call("b", "upload", "f"), Call("b", "run", "echo"),
        Call("a", "run", "echo"),
    ]  # fmt: skip
