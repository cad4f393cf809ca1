"""Every exception asyncssh can raise at us maps to a DockyardError (httpx's all-mapped test)."""

from __future__ import annotations

import inspect
import socket

import asyncssh
import pytest

from dockyard.errors import (
    CommandFailed,
    CommandTimeout,
    DockyardError,
    HostKeyError,
    HostUnreachable,
    SshAuthError,
    SshConnectError,
    SshError,
)
from dockyard.ssh.errormap import host_key_error, map_error, mapped_errors


def asyncssh_error_classes() -> list[type[BaseException]]:
    """asyncssh.Error and its subclasses, and the plain Exceptions asyncssh raises."""
    found: list[type[BaseException]] = []
    todo: list[type[BaseException]] = [asyncssh.Error, asyncssh.ConfigParseError]
    todo += [asyncssh.KeyImportError, asyncssh.KeyEncryptionError, asyncssh.ChannelListenError]
    todo += [asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__qualname__)


def instance(cls: type[BaseException]) -> BaseException:
    """An instance built from the constructor's own parameters."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    values = {"code": 1, "reason": "because", "exit_status": 3, "stdout": "", "stderr": "err"}
    values |= {"msec": 500, "signal": "TERM", "width": 80, "height": 24, "pixwidth": 0}
    values |= {"pixheight": 0}
    args = [values.get(p.name) for p in params if p.default is inspect.Parameter.empty]
    return cls(*args)


def test_the_enumeration_finds_the_known_families() -> None:
    names = {cls.__name__ for cls in asyncssh_error_classes()}
    expected = {"PermissionDenied", "HostKeyNotVerifiable", "ConnectionLost", "ChannelOpenError"}
    assert expected | {"SFTPNoSuchFile", "ProcessError", "TimeoutError"} <= names
    assert len(names) > 40


@pytest.mark.parametrize("cls", asyncssh_error_classes(), ids=lambda c: c.__name__)
def test_every_asyncssh_error_maps_to_a_dockyard_error(cls: type[BaseException]) -> None:
    mapped = map_error("web1", instance(cls))
    assert isinstance(mapped, DockyardError)
    assert str(mapped).startswith("web1: ")
    assert "\n" not in str(mapped)


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (asyncssh.PermissionDenied("no"), SshAuthError, "the server refused our SSH keys (no)"),
        (asyncssh.HostKeyNotVerifiable("untrusted"), HostKeyError, "untrusted; verify the"),
        (asyncssh.ConnectionLost("reset"), SshConnectError, "connection lost: reset"),
        (
            asyncssh.ConnectionLost("Server not responding to keepalive"),
            HostUnreachable,
            "stopped answering (no reply to SSH keepalives: the host is down or the network",
        ),
        (asyncssh.ProtocolError("bad"), SshConnectError, "the server disconnected: bad"),
        (asyncssh.ChannelOpenError(2, "refused"), SshError, "the server refused to open a"),
        (asyncssh.SFTPNoSuchFile("gone"), SshError, "file transfer failed: gone"),
        (ConnectionRefusedError(111, "x"), SshConnectError, "connection refused on port 2222"),
        (TimeoutError(), SshConnectError, "timed out connecting to port 2222"),
        (socket.gaierror(-2, "Name unknown"), SshConnectError, "cannot resolve the host name"),
        (OSError(113, "No route to host"), SshConnectError, "cannot connect to port 2222: No"),
        (
            OSError(113, "Connect call failed ('10.0.0.5', 2222)"),  # as asyncio raises it
            SshConnectError,
            "cannot connect to port 2222: No route to host (the host is down, or the address is "
            "wrong)",
        ),
        (
            OSError(101, "Connect call failed ('10.9.0.5', 2222)"),
            SshConnectError,
            "cannot connect to port 2222: Network is unreachable (no route from here to that "
            "network: a wrong address, or a VPN that is down)",
        ),
        (asyncssh.KeyImportError("bad key"), SshAuthError, "cannot load an SSH private key"),
        (asyncssh.ConfigParseError("line 3"), SshError, "cannot read the SSH config: line 3"),
    ],
)
def test_each_family_gets_its_own_error_and_message(
    exc: BaseException, kind: type[DockyardError], message: str
) -> None:
    mapped = map_error("web1", exc, port=2222)
    assert type(mapped) is kind
    assert str(mapped).startswith(f"web1: {message}")


def test_a_command_timeout_is_checked_before_other_errors() -> None:
    exc = instance(asyncssh.TimeoutError)
    assert isinstance(exc, asyncssh.ProcessError) and isinstance(exc, OSError)
    mapped = map_error("web1", exc, command="sleep [REDACTED]")
    assert isinstance(mapped, CommandTimeout)
    assert mapped.command == "sleep [REDACTED]"


def test_a_process_error_carries_the_redacted_command_not_the_real_one() -> None:
    exc = asyncssh.ProcessError(None, "login -p hunter2", None, 1, None, 1, "", "denied")
    mapped = map_error("web1", exc, command="login -p [REDACTED]")
    assert isinstance(mapped, CommandFailed)
    assert mapped.result.command == "login -p [REDACTED]"
    assert "hunter2" not in str(mapped)


def test_unknown_exceptions_are_bugs_not_ssh_errors() -> None:
    with pytest.raises(TypeError):
        map_error("web1", KeyError("x"))


def test_mapped_errors_reraises_with_the_cause() -> None:
    with pytest.raises(SshConnectError) as caught, mapped_errors("web1"):
        raise ConnectionResetError(104, "Connection reset by peer")
    assert isinstance(caught.value.__cause__, ConnectionResetError)


def test_host_key_messages_for_port_22() -> None:
    unknown = host_key_error("web1", 22, None, offered="ssh-ed25519 key SHA256:abc", changed=False)
    assert str(unknown) == (
        "web1: host key is not in ~/.ssh/known_hosts (the server offered ssh-ed25519 key "
        "SHA256:abc); verify the fingerprint, then run: ssh-keyscan -H web1 >> ~/.ssh/known_hosts"
    )
    changed = host_key_error("web1", 22, None, offered=None, changed=True)
    assert "ssh-keygen -R 'web1'" in str(changed)
    assert "the server's key was not shown" in str(changed)
