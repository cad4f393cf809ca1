"""FakeTransport: a scripted Transport for workflow tests (httpx's MockTransport idea).

    fake = FakeTransport({"container ls": Reply(stdout="abc123\\n"), "docker stop": Reply(1)})
    fake.on("10.0.0.2", "docker pull", SshConnectError("10.0.0.2", "connection lost"))
    fake.on("10.0.0.2", "docker run", HANG)          # never answers: see below
    await some_workflow(fake, ...)
    assert fake.commands_on("10.0.0.1") == ["docker ...", ...]     # redacted renderings
    assert fake.calls[3] == Call("10.0.0.2", "run", "docker run ...")  # every step, in order

A reply is chosen by substring of the (real) rendered command: host-specific rules first, then
the general ones, each in the order given; the first match wins, no match means exit 0 with no
output. A reply is a Reply, an exception to raise, HANG, or a callable(host, command) returning
one of those, or None to leave the step to the rules after it. Uploads match `upload <path>`,
streams `connect <path>` / `connect <addr>:<port>`.

HANG is a step that never answers. As the real transport does, a run or an upload then ends at
its deadline with CommandTimeout: its own `timeout`, else the transport's `default_timeout`; one
with no deadline at all (UNBOUNDED, or no default) and a stream wait for good, so a test
catches the missing bound with its own timeout. The deadline passes at once (no real waiting),
which keeps scenario tests fast.

Everything real about SSH (connections, quoting on the wire, errors) is tested against sshd.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from dockyard.commands.base import Command
from dockyard.errors import CommandFailed, CommandTimeout, Result, SshError
from dockyard.ssh.transport import (
    ByteReader,
    ByteWriter,
    HostStats,
    effective_timeout,
    render_for_wire,
)


@dataclass(frozen=True)
class Reply:
    exit_status: int = 0
    stdout: str = ""
    stderr: str = ""


class Hang:
    """A step that never answers (see the module docstring)."""

    def __repr__(self) -> str:
        return "HANG"


HANG = Hang()


@dataclass(frozen=True)
class Upload:
    path: str
    data: bytes
    mode: int


@dataclass(frozen=True)
class Call:
    """One remote step as the fake saw it: a command (its redacted rendering), an upload (its
    path) or a stream (`connect <target>`)."""

    host: str
    kind: Literal["run", "upload", "connect"]
    text: str


Outcome = Reply | BaseException | Hang
ReplyRule = Outcome | Callable[[str, str], Outcome | None]
Streams = tuple[ByteReader, ByteWriter]
OpenUnix = Callable[[str, str], Awaitable[Streams]]
OpenTcp = Callable[[str, str, int], Awaitable[Streams]]


class FakeTransport:
    def __init__(
        self,
        responses: Mapping[str, ReplyRule] | None = None,
        *,
        open_unix: OpenUnix | None = None,
        open_tcp: OpenTcp | None = None,
        default_timeout: float | None = None,
    ) -> None:
        self._rules: list[tuple[str | None, str, ReplyRule]] = [
            (None, text, rule) for text, rule in (responses or {}).items()
        ]
        self._open_unix = open_unix
        self._open_tcp = open_tcp
        self.default_timeout = default_timeout
        self._shown: dict[str, list[str]] = defaultdict(list)
        self._sent: dict[str, list[str]] = defaultdict(list)
        self.calls: list[Call] = []
        self.inputs: dict[str, list[str | None]] = defaultdict(list)
        self.uploads: dict[str, list[Upload]] = defaultdict(list)
        self._stats: dict[str, HostStats] = defaultdict(HostStats)
        self.closed = False

    def on(self, host: str, substring: str, rule: ReplyRule) -> FakeTransport:
        """A reply for one host only; it wins over the general replies."""
        self._rules.insert(0, (host, substring, rule))
        return self

    def first(self, rule: ReplyRule) -> FakeTransport:
        """A reply for every step, ahead of all others (a callable picks the steps it fails)."""
        self._rules.insert(0, (None, "", rule))
        return self

    def commands_on(self, host: str) -> list[str]:
        """What ran on `host`, in order, as shown to users (secrets redacted)."""
        return list(self._shown[host])

    def sent_on(self, host: str) -> list[str]:
        """What was sent to `host`, secrets included: to check a value reaches the host."""
        return list(self._sent[host])

    async def run(
        self,
        host: str,
        cmd: Command,
        *,
        check: bool = True,
        timeout: float | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        wire, shown = render_for_wire(cmd, env)
        self._shown[host].append(shown)
        self._sent[host].append(wire)
        self.calls.append(Call(host, "run", shown))
        self.inputs[host].append(input)
        self._stats[host].commands += 1
        reply = self._reply(host, wire)
        if isinstance(reply, Hang):
            deadline = effective_timeout(timeout, self.default_timeout)
            if deadline is None:
                await _forever()
            raise CommandTimeout(host, shown, deadline or 0)
        result = Result(host, shown, reply.exit_status, reply.stdout, reply.stderr)
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    async def upload(
        self, host: str, data: bytes, path: str, *, mode: int = 0o600, timeout: float | None = None
    ) -> None:
        self._stats[host].uploads += 1
        self.calls.append(Call(host, "upload", path))
        self.uploads[host].append(Upload(path, data, mode))
        if isinstance(self._reply(host, f"upload {path}"), Hang):
            deadline = effective_timeout(timeout, self.default_timeout)
            if deadline is None:
                await _forever()
            raise CommandTimeout(host, f"upload {path}", deadline or 0)

    async def open_unix_connection(self, host: str, path: str) -> Streams:
        """Replies to `connect <path>` apply (e.g. an exception); then `open_unix` is called."""
        await self._connect(host, path)
        if self._open_unix is None:
            raise SshError(host, f"FakeTransport has no unix socket {path}; pass open_unix=")
        return await self._open_unix(host, path)

    async def open_tcp_connection(self, host: str, address: str, port: int) -> Streams:
        """Replies to `connect <address>:<port>` apply; then `open_tcp` is called."""
        await self._connect(host, f"{address}:{port}")
        if self._open_tcp is None:
            raise SshError(host, f"FakeTransport has no route to {address}:{port}; pass open_tcp=")
        return await self._open_tcp(host, address, port)

    async def _connect(self, host: str, target: str) -> None:
        self._stats[host].streams += 1
        self.calls.append(Call(host, "connect", target))
        if isinstance(self._reply(host, f"connect {target}"), Hang):
            await _forever()

    def stats(self, host: str) -> HostStats:
        return replace(self._stats[host])

    def all_stats(self) -> dict[str, HostStats]:
        return {host: replace(stats) for host, stats in self._stats.items()}

    async def close(self) -> None:
        self.closed = True

    def _reply(self, host: str, wire: str) -> Reply | Hang:
        for rule_host, substring, rule in self._rules:
            if rule_host not in (None, host) or substring not in wire:
                continue
            outcome = rule(host, wire) if callable(rule) else rule
            if outcome is None:  # a callable that lets this step through to the next rules
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        return Reply()


async def _forever() -> None:
    await asyncio.Event().wait()
