"""Running commands through AsyncsshTransport against a real sshd."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dockyard.commands.base import Raw, all_of, cmd
from dockyard.errors import CommandFailed, CommandTimeout
from dockyard.redaction import REDACTED, Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.transport import UNBOUNDED, Transport
from tests.ssh.conftest import Sshd, TransportFactory

pytestmark = pytest.mark.sshd

HOST = "127.0.0.1"


async def test_run_returns_stdout_and_exit_status(transport: AsyncsshTransport) -> None:
    seam: Transport = transport  # mypy checks AsyncsshTransport against the Protocol
    result = await seam.run(HOST, cmd("echo", "hello world"))
    assert (result.host, result.exit_status, result.stdout) == (HOST, 0, "hello world\n")
    assert result.command == "echo 'hello world'"


async def test_arguments_reach_the_server_quoted_once(transport: AsyncsshTransport) -> None:
    tricky = "a b; echo injected $HOME 'q' \"dq\""
    result = await transport.run(HOST, cmd("printf", "%s", tricky))
    assert result.stdout == tricky


async def test_non_zero_exit_raises_with_status_and_stderr(transport: AsyncsshTransport) -> None:
    with pytest.raises(CommandFailed) as caught:
        await transport.run(HOST, Raw("echo oops >&2; exit 3"))
    result = caught.value.result
    assert (result.exit_status, result.stderr) == (3, "oops\n")
    assert str(caught.value) == f"{HOST}: `echo oops >&2; exit 3` exited 3: oops"


async def test_check_false_returns_the_failure(transport: AsyncsshTransport) -> None:
    result = await transport.run(HOST, Raw("exit 7"), check=False)
    assert result.exit_status == 7
    assert not result.ok


async def test_empty_input_is_an_empty_stdin_not_an_open_one(transport: AsyncsshTransport) -> None:
    """An app without secrets has an empty env file: `cat > file` must see EOF, not wait."""
    result = await transport.run(HOST, cmd("wc", "-c"), input="", timeout=10)
    assert result.stdout.strip() == "0"


async def test_stdin_input(transport: AsyncsshTransport) -> None:
    result = await transport.run(HOST, cmd("wc", "-c"), input="12345")
    assert result.stdout.strip() == "5"


async def test_env_is_exported_to_the_command(transport: AsyncsshTransport) -> None:
    result = await transport.run(
        HOST, all_of(cmd("printenv", "GREETING"), cmd("printenv", "TOKEN")),
        env={"GREETING": "hi there", "TOKEN": Secret("t0p")},
    )  # fmt: skip
    assert result.stdout == "hi there\nt0p\n"
    assert result.command == (
        "export GREETING='hi there'; export TOKEN=[REDACTED]; printenv GREETING && printenv TOKEN"
    )


async def test_timeout_raises_and_the_connection_stays_usable(
    transport: AsyncsshTransport,
) -> None:
    with pytest.raises(CommandTimeout) as caught:
        await transport.run(HOST, Raw("sleep 5"), timeout=0.3)
    assert str(caught.value) == f"{HOST}: `sleep 5` did not finish within 0.3s"
    assert (await transport.run(HOST, cmd("echo", "next"))).stdout == "next\n"
    assert transport.stats(HOST).connections == 1


async def test_a_command_without_its_own_timeout_ends_at_the_default(
    make_transport: TransportFactory, sshd: Sshd
) -> None:
    transport = make_transport(port=sshd.port, command_timeout=0.3)
    try:
        with pytest.raises(CommandTimeout) as caught:
            await transport.run(HOST, Raw("sleep 5"))
        assert caught.value.seconds == 0.3
        slow = await transport.run(HOST, Raw("sleep 0.5; echo done"), timeout=UNBOUNDED)
        assert slow.stdout == "done\n"
    finally:
        await transport.close()


async def test_secret_is_sent_but_never_shown(
    transport: AsyncsshTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncssh")
    password = Secret("hunter2-s3cret")
    ok = await transport.run(HOST, cmd("printf", "%s", password))
    assert ok.stdout == "hunter2-s3cret"
    assert ok.command == f"printf %s {REDACTED}"
    with pytest.raises(CommandFailed) as caught:
        await transport.run(HOST, all_of(cmd("test", password, "=", "x"), cmd("true")))
    assert caught.value.result.command == f"test {REDACTED} = x && true"
    assert "hunter2" not in str(caught.value)
    assert any("Command" in record.getMessage() for record in caplog.records)
    assert not [r for r in caplog.records if "hunter2" in r.getMessage()]


async def test_a_secret_a_failing_command_echoes_on_stderr_is_redacted(
    transport: AsyncsshTransport,
) -> None:
    """What a command said on stderr is shown below a failure's error line."""
    token = Secret("s3cret-t0ken")
    echo = cmd("sh", "-c", 'echo "login failed for $1" >&2; exit 1', "sh", token)
    with pytest.raises(CommandFailed) as caught:
        await transport.run(HOST, echo)
    assert caught.value.result.stderr == f"login failed for {REDACTED}\n"
    env_only = cmd("sh", "-c", 'echo "bad: $TOKEN" >&2; exit 1')
    with pytest.raises(CommandFailed) as caught:
        await transport.run(HOST, env_only, env={"TOKEN": token})
    assert caught.value.result.stderr == f"bad: {REDACTED}\n"


async def test_one_connection_serves_many_commands(
    transport: AsyncsshTransport, sshd: Sshd
) -> None:
    results = await asyncio.gather(*(transport.run(HOST, cmd("echo", str(i))) for i in range(20)))
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(20)]
    await transport.run(HOST, cmd("true"))
    stats = transport.stats(HOST)
    assert (stats.connections, stats.commands) == (1, 21)
    assert sshd.accepted_logins() == 1


async def test_a_dropped_connection_is_reopened(transport: AsyncsshTransport, sshd: Sshd) -> None:
    await transport.run(HOST, cmd("true"))
    sshd.kill_sessions()
    for _ in range(100):  # until the client has seen the socket close
        if sshd.accepted_logins() == 1 and not sshd.session_pids():
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    assert (await transport.run(HOST, cmd("echo", "again"))).stdout == "again\n"
    assert transport.stats(HOST).connections == 2
    assert sshd.accepted_logins() == 2


async def test_a_connection_that_died_unnoticed_is_reopened_before_the_command(
    transport: AsyncsshTransport, sshd: Sshd
) -> None:
    await transport.run(HOST, cmd("true"))
    sshd.kill_sessions()  # no pause: the client learns of it while opening the next channel
    assert (await transport.run(HOST, cmd("echo", "again"))).stdout == "again\n"
    assert transport.stats(HOST).connections == 2


async def test_a_closed_transport_reconnects_and_still_redacts(
    transport: AsyncsshTransport, caplog: pytest.LogCaptureFixture
) -> None:
    await transport.run(HOST, cmd("true"))
    await transport.close()
    caplog.set_level(logging.INFO, logger="asyncssh")
    result = await transport.run(HOST, cmd("echo", Secret("after-close-s3cret")))
    assert result.stdout == "after-close-s3cret\n"
    assert transport.stats(HOST).connections == 2
    assert any("Command" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if "after-close" in r.getMessage()]
