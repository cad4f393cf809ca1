"""asyncssh's exceptions, mapped at the seam to dockyard's one error tree.

`map_error(host, exc)` turns anything asyncssh, the socket layer or key loading can raise into a
DockyardError with one line that says what to do. Order matters: asyncssh.TimeoutError is both a
ProcessError and a TimeoutError (an OSError), so it is checked first.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import asyncssh

from dockyard.errors import (
    CommandFailed,
    CommandTimeout,
    DockyardError,
    HostKeyError,
    HostUnreachable,
    Result,
    SshAuthError,
    SshConnectError,
    SshError,
)

_KEY_LOAD_ERRORS = (asyncssh.KeyImportError, asyncssh.KeyEncryptionError)
# Plain Exceptions asyncssh raises from channel streams and listeners.
CHANNEL_EVENTS = (
    asyncssh.BreakReceived,
    asyncssh.SignalReceived,
    asyncssh.TerminalSizeChanged,
    asyncssh.ChannelListenError,
)
# The reason asyncssh gives when it closes a connection whose keepalives went unanswered.
KEEPALIVE_LOST = "Server not responding to keepalive"
MAPPED = (asyncssh.Error, OSError, asyncssh.ConfigParseError, *_KEY_LOAD_ERRORS, *CHANNEL_EVENTS)


def map_error(
    host: str,
    exc: BaseException,
    *,
    port: int = 22,
    command: str = "remote command",
    silence: float | None = None,
) -> DockyardError:
    """The DockyardError for `exc`; `command` is the redacted rendering, never the real one;
    `silence`: the seconds of silence after which the connection was given up, for the message
    of a host that stopped answering."""
    if isinstance(exc, DockyardError):
        return exc
    if isinstance(exc, asyncssh.TimeoutError):
        return CommandTimeout(host, command, 0)
    if isinstance(exc, asyncssh.ProcessError):
        status = exc.exit_status if exc.exit_status is not None else 255
        return CommandFailed(Result(host, command, status, _text(exc.stdout), _text(exc.stderr)))
    if isinstance(exc, asyncssh.Error):
        return _map_asyncssh(host, exc, port, silence)
    if isinstance(exc, _KEY_LOAD_ERRORS):
        return SshAuthError(host, f"cannot load an SSH private key: {exc}; check ssh/keys")
    if isinstance(exc, asyncssh.ConfigParseError):
        return SshError(host, f"cannot read the SSH config: {exc}; fix it or set ssh/config: false")
    if isinstance(exc, OSError):
        return _map_os_error(host, exc, port)
    if isinstance(exc, CHANNEL_EVENTS):
        return SshError(host, f"unexpected {type(exc).__name__} on an SSH channel: {exc}")
    raise TypeError(f"unmapped exception {type(exc).__name__}") from exc


def _map_asyncssh(
    host: str, exc: asyncssh.Error, port: int, silence: float | None
) -> DockyardError:
    reason = exc.reason or type(exc).__name__
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return HostKeyError(host, f"{reason}; {keyscan_advice(host, port, None)}")
    if isinstance(exc, asyncssh.PermissionDenied):
        return SshAuthError(
            host,
            f"the server refused our SSH keys ({reason}); check ssh/user and ssh/keys, "
            "or add your public key to that user's ~/.ssh/authorized_keys",
        )
    if is_keepalive_loss(exc):
        return HostUnreachable(host, silence)
    if isinstance(exc, asyncssh.ConnectionLost):
        return SshConnectError(host, f"connection lost: {reason}; check that sshd is running")
    if isinstance(exc, asyncssh.DisconnectError):
        return SshConnectError(host, f"the server disconnected: {reason}")
    if isinstance(exc, asyncssh.ChannelOpenError):
        return SshError(host, f"the server refused to open a channel: {reason}")
    if isinstance(exc, asyncssh.SFTPError):
        return SshError(host, f"file transfer failed: {reason}")
    return SshError(host, reason)


# What a failed connect most likely means, by errno (the socket layer's own words say what
# happened, e.g. asyncio's "Connect call failed ('10.0.0.5', 22)", not why).
_LIKELY_CAUSE = {
    errno.EHOSTUNREACH: "the host is down, or the address is wrong",
    errno.EHOSTDOWN: "the host is down",
    errno.ENETUNREACH: "no route from here to that network: a wrong address, or a VPN that is down",
    errno.ECONNRESET: "a firewall or sshd itself (MaxStartups) cut it; try again, or check sshd",
}


def _map_os_error(host: str, exc: OSError, port: int) -> SshConnectError:
    if isinstance(exc, socket.gaierror):
        return SshConnectError(
            host, f"cannot resolve the host name ({exc.strerror}); check the name in the config"
        )
    if isinstance(exc, TimeoutError):
        return SshConnectError(
            host,
            f"timed out connecting to port {port}: a firewall drops the packets, the address is "
            f"wrong, or the host is down; check the address and that port {port} is open to you",
        )
    if isinstance(exc, ConnectionRefusedError):
        return SshConnectError(
            host,
            f"connection refused on port {port}: sshd is not running there, or listens on "
            "another port; start sshd, or set ssh/port",
        )
    said = os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
    likely = _LIKELY_CAUSE.get(exc.errno or 0)
    return SshConnectError(
        host, f"cannot connect to port {port}: {said}" + (f" ({likely})" if likely else "")
    )


def is_keepalive_loss(exc: BaseException | None) -> bool:
    """A connection asyncssh closed because the host stopped answering its keepalives."""
    return isinstance(exc, asyncssh.ConnectionLost) and exc.reason == KEEPALIVE_LOST


@contextmanager
def mapped_errors(
    host: str, *, port: int = 22, command: str = "remote command", silence: float | None = None
) -> Iterator[None]:
    """Re-raise anything from below the seam as a DockyardError."""
    try:
        yield
    except MAPPED as exc:
        raise map_error(host, exc, port=port, command=command, silence=silence) from exc


def keyscan_advice(host: str, port: int, known_hosts: str | None) -> str:
    target = known_hosts or "~/.ssh/known_hosts"
    port_flag = f"-p {port} " if port != 22 else ""
    return f"verify the fingerprint, then run: ssh-keyscan {port_flag}-H {host} >> {target}"


def host_key_error(
    host: str, port: int, known_hosts: str | None, *, offered: str | None, changed: bool
) -> HostKeyError:
    """The error for an unknown or changed host key, with the fingerprint the server offered."""
    shown = f"the server offered {offered}" if offered else "the server's key was not shown"
    target = known_hosts or "~/.ssh/known_hosts"
    if not changed:
        return HostKeyError(
            host,
            f"host key is not in {target} ({shown}); {keyscan_advice(host, port, known_hosts)}",
        )
    entry = f"[{host}]:{port}" if port != 22 else host
    file_flag = f" -f {known_hosts}" if known_hosts else ""
    return HostKeyError(
        host,
        f"HOST KEY CHANGED: {target} has a different key ({shown}); this may be an attack. "
        f"If the server was rebuilt, run: ssh-keygen{file_flag} -R '{entry}', then "
        + keyscan_advice(host, port, known_hosts),
    )


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
