"""The one exception tree of dockyard.

    DockyardError                 anything dockyard reports as `ERROR (Type): message`
    ├── UsageError                a bad flag or argument combination
    ├── ConfigError               a config that Kamal's rules reject; carries key path, file, line
    │   └── ErbError              an ERB construct that cannot be rendered
    ├── SecretsError              a missing secret, a failing secret command or adapter
    ├── LabError                  the local lab cannot be brought up, down or reached
    ├── SshError                  anything between us and a host; carries the host
    │   ├── SshConnectError       unreachable, refused, DNS, timeout while connecting
    │   │   └── HostUnreachable   a connected host that stopped answering (keepalives unanswered)
    │   ├── SshAuthError          the server refused our keys
    │   └── HostKeyError          unknown or changed host key
    ├── CommandFailed             a remote or local command exited non-zero; carries the Result
    ├── CommandTimeout            a command ran past its deadline
    ├── HostsFailed               one step failed on some hosts; carries each host's error
    ├── StepFailed                a workflow step failed on a host: what, why, what now
    ├── DeployFailed              a deploy that failed once booting began: its error (shown as
    │                             it is), and where it left each role on each host
    ├── LockError                 the deploy lock is held by someone else
    ├── RouteTakenError           a proxy host (and path) another app's route serves
    ├── AccessoryError            an accessory's step failed on a host; says what is left
    ├── AccessoriesFailed         some accessory boots failed, the others booted; carries each
    ├── BuildError                an image that cannot be built (no engine, no Dockerfile)
    ├── DeliveryError             an image that cannot reach a server (full disk, refused login)
    ├── HookError                 a hook in .kamal/hooks exited non-zero
    └── NotFoundError             what a read command was asked about is on no selected host

Every message is one line that says what went wrong and, where there is one, what to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


class DockyardError(Exception):
    """Base of every error dockyard reports to the user."""

    exit_code = 1

    @property
    def kind(self) -> str:
        """The type the CLI names: `ERROR (<kind>): message`."""
        return type(self).__name__


class UsageError(DockyardError):
    exit_code = 2


class ConfigError(DockyardError):
    """A configuration error, located by key path and, where known, by file and line.

    It is one line whatever the config holds: a value with a newline or another control
    character is shown escaped, and a message is cut after MAX_MESSAGE characters."""

    MAX_MESSAGE = 1000

    def __init__(
        self, message: str, *, key: str = "", file: str | None = None, line: int | None = None
    ) -> None:
        message = _escaped(message)
        if len(message) > self.MAX_MESSAGE:
            message = message[: self.MAX_MESSAGE] + "…"
        self.message = message
        self.key = _escaped(key)
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        if self.file and not self.line:
            where = f"{self.file}: "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ErbError(ConfigError):
    pass


class SecretsError(DockyardError):
    pass


class LabError(DockyardError):
    pass


class SshError(DockyardError):
    def __init__(self, host: str, message: str) -> None:
        self.host = host
        self.message = message
        super().__init__(f"{host}: {message}")


class SshConnectError(SshError):
    pass


class HostUnreachable(SshConnectError):
    """A host that stopped answering in the middle of a command: its SSH keepalives went
    unanswered (the host is down, or the network to it is cut). What it was doing is unknown,
    and every later step on it fails the same way at once."""

    def __init__(self, host: str, silence: float | None = None) -> None:
        heard = f" for {silence:g}s" if silence else ""
        self.reason = (
            f"stopped answering (no reply to SSH keepalives{heard}: the host is down or the "
            "network to it is cut)"
        )
        super().__init__(host, f"{self.reason}; check that it is up and reachable, then try again")


class SshAuthError(SshError):
    pass


class HostKeyError(SshError):
    pass


@dataclass(frozen=True)
class Result:
    """What one command did on one host. `command` is the redacted rendering."""

    host: str
    command: str
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class CommandFailed(DockyardError):
    def __init__(self, result: Result) -> None:
        self.result = result
        self.reason = f"exited {result.exit_status}: {stderr_gist(result.stderr)}"  # no host
        super().__init__(f"{result.host}: `{brief(result.command)}` {self.reason}")


# A line that says what went wrong, in an engine's or a tool's words.
_CAUSE = re.compile(r"error|unknown|invalid|denied|not found|no such|cannot|can't|failed", re.I)


def stderr_gist(stderr: str) -> str:
    """A command's stderr in one line: its last 3 lines, or, when the line that says what went
    wrong comes before them (`unknown flag: --x` above docker's usage text), that line and the
    last one. The whole stderr is shown below the error line."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    cause = next((line for line in lines[:-3] if _CAUSE.search(line)), None)
    shown = [cause, lines[-1]] if cause else lines[-3:]
    return " / ".join(shown) or "no output on stderr"


BRIEF = 200  # characters of a command a message shows (a path, a pull; not a script)


def brief(command: str) -> str:
    """A command as an error line shows it: on one line, cut after BRIEF characters. dockyard's
    own steps can be long shell scripts; -v shows them whole, below the error line."""
    text = " ".join(command.split())
    return text if len(text) <= BRIEF else text[: BRIEF - 1] + "…"


class CommandTimeout(DockyardError):
    def __init__(self, host: str, command: str, seconds: float) -> None:
        self.host = host
        self.command = command
        self.seconds = seconds
        self.reason = f"did not finish within {seconds:g}s"
        super().__init__(f"{host}: `{brief(command)}` {self.reason}")


class HostsFailed(DockyardError):
    def __init__(self, errors: Mapping[str, BaseException]) -> None:
        self.errors = dict(errors)
        parts = [f"{host}: {_one_line(err, host)}" for host, err in self.errors.items()]
        super().__init__(f"failed on {len(self.errors)} host(s): " + "; ".join(parts))


class StepFailed(DockyardError):
    """`<host>: <what> failed: <why>; <where that leaves things, what to do>`.

    The error it stands for is its __cause__: a command's stderr is shown below the line."""

    def __init__(self, host: str, what: str, error: BaseException, after: str) -> None:
        self.host, self.what, self.after = host, what, after
        self.reason = reason(error, host)
        super().__init__(f"{host}: {what} failed: {self.reason}; {after}")


@dataclass(frozen=True)
class RoleLeft:
    """Where a failed deploy left one role on one host: `state` is "switched" (the new version
    serves), "kept" (the version that served before still does) or "unknown" (the host stopped
    answering, or a switch did not finish); `summary` says it in words."""

    host: str
    role: str
    state: str
    summary: str


class DeployFailed(DockyardError):
    """A deploy, rollback or app boot that failed once it began booting: an envelope around the
    error (`error`, also the __cause__), shown as that error is (its kind and message), which
    adds where each role on each host was left (`left`)."""

    def __init__(self, error: DockyardError, left: tuple[RoleLeft, ...]) -> None:
        self.error, self.left = error, left
        self.exit_code = error.exit_code
        super().__init__(str(error))

    @property
    def kind(self) -> str:
        return self.error.kind


class LockError(DockyardError):
    pass


class RouteTakenError(DockyardError):
    """A route would take a host name (and path prefix) another route on the proxy serves."""


class AccessoryError(DockyardError):
    """An accessory's step that failed on a host: the message names the host, the accessory,
    the cause, and what is left and how to clear it where something is."""


class AccessoriesFailed(DockyardError):
    """Some accessories did not boot on some hosts, every other one did: the count of boots
    tried, each failure by `host (accessory)` with its cause (`causes`, without the host), and
    what to do next."""

    def __init__(
        self,
        errors: Mapping[str, BaseException],
        tried: int,
        then: str,
        causes: Mapping[str, str] | None = None,
    ) -> None:
        self.errors = dict(errors)
        told = causes or {}
        each = "; ".join(f"{where}: {told.get(where) or error}" for where, error in errors.items())
        super().__init__(f"{len(self.errors)} of {tried} accessory boots failed: {each}; {then}")


class HookError(DockyardError):
    pass


class BuildError(DockyardError):
    """`logs`: the build's own last output lines, shown under the error line."""

    def __init__(self, message: str, *, logs: str = "") -> None:
        self.logs = logs
        self.name = "the build"
        super().__init__(message)


class DeliveryError(DockyardError):
    pass


class CertificateError(DockyardError):
    """An edge did not obtain a certificate by ACME in time: the edge, the names, the CA's
    or Caddy's last error, and what to do."""


class NotFoundError(DockyardError):
    """What a read command was asked about (the app's containers, an accessory's, the proxy,
    an audit log) is on none of the selected hosts: the message says where it looked and how
    to make it exist."""


def _escaped(text: str) -> str:
    """text on one line: control characters (a newline, an escape) written as \\n, \\x1b."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def reason(error: BaseException, host: str) -> str:
    """Why a step failed, in one line without the host (and without a command's rendering,
    which can be long: it goes below the line)."""
    if isinstance(error, CommandFailed | CommandTimeout | HostUnreachable):
        return error.reason
    if not isinstance(error, DockyardError):  # a bug: its type helps
        return f"{type(error).__name__}: {error}".rstrip(": ").splitlines()[0]
    return _one_line(error, host)


def cited(error: BaseException, host: str) -> str:
    """Why a step failed, where the line already says it in full for that host (another role's
    wait, a lock release after the failure): a host that stopped answering is said once."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, HostUnreachable):
            return "it stopped answering"
        cause = cause.__cause__
    return error.reason if isinstance(error, StepFailed) else reason(error, host)


def _one_line(err: BaseException, host: str) -> str:
    text = str(err).strip() or type(err).__name__
    if text.startswith(f"{host}: "):  # the host is said once, in front
        text = text[len(host) + 2 :]
    return text.splitlines()[0]
