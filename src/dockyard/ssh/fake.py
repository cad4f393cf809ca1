"""FakeTransport: a Transport for PURE workflow unit tests (httpx's MockTransport idea).

    fake = FakeTransport({"container ls": Reply(stdout="abc123\\n"), "docker stop": Reply(1)})
    fake.on("10.0.0.2", "docker pull", SshConnectError("10.0.0.2", "connection lost"))
    await some_workflow(fake, ...)
    assert fake.commands_on("10.0.0.1") == ["docker ...", ...]     # redacted renderings

A reply is chosen by substring of the (real) rendered command: host-specific rules first, then
the general ones, each in the order given; the first match wins, no match means exit 0 with no
output. A reply is a Reply, an exception to raise, or a callable(host, command) -> Reply.
Everything real about SSH (connections, quoting on the wire, errors) is tested against sshd.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from dockyard.commands.base import Command
from dockyard.errors import CommandFailed, Result, SshError
from dockyard.ssh.transport import ByteReader, ByteWriter, HostStats, render_for_wire


@dataclass(frozen=True)
class Reply:
    exit_status: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Upload:
    path: str
    data: bytes
    mode: int


ReplyRule = Reply | BaseException | Callable[[str, str], Reply]
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
    ) -> None:
        self._rules: list[tuple[str | None, str, ReplyRule]] = [
            (None, text, rule) for text, rule in (responses or {}).items()
        ]
        self._open_unix = open_unix
        self._open_tcp = open_tcp
        self._shown: dict[str, list[str]] = defaultdict(list)
        self._sent: dict[str, list[str]] = defaultdict(list)
        self.inputs: dict[str, list[str | None]] = defaultdict(list)
        self.uploads: dict[str, list[Upload]] = defaultdict(list)
        self._stats: dict[str, HostStats] = defaultdict(HostStats)
        self.closed = False

    def on(self, host: str, substring: str, rule: ReplyRule) -> FakeTransport:
        """A reply for one host only; it wins over the general replies."""
        self._rules.insert(0, (host, substring, rule))
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
        self.inputs[host].append(input)
        self._stats[host].commands += 1
        reply = self._reply(host, wire)
        result = Result(host, shown, reply.exit_status, reply.stdout, reply.stderr)
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    async def upload(self, host: str, data: bytes, path: str, *, mode: int = 0o600) -> None:
        self._stats[host].uploads += 1
        self.uploads[host].append(Upload(path, data, mode))
        self._reply(host, f"upload {path}")

    async def open_unix_connection(self, host: str, path: str) -> Streams:
        """Replies to `connect <path>` apply (e.g. an exception); then `open_unix` is called."""
        self._stats[host].streams += 1
        self._reply(host, f"connect {path}")
        if self._open_unix is None:
            raise SshError(host, f"FakeTransport has no unix socket {path}; pass open_unix=")
        return await self._open_unix(host, path)

    async def open_tcp_connection(self, host: str, address: str, port: int) -> Streams:
        """Replies to `connect <address>:<port>` apply; then `open_tcp` is called."""
        self._stats[host].streams += 1
        self._reply(host, f"connect {address}:{port}")
        if self._open_tcp is None:
            raise SshError(host, f"FakeTransport has no route to {address}:{port}; pass open_tcp=")
        return await self._open_tcp(host, address, port)

    def stats(self, host: str) -> HostStats:
        return replace(self._stats[host])

    async def close(self) -> None:
        self.closed = True

    def _reply(self, host: str, wire: str) -> Reply:
        for rule_host, substring, rule in self._rules:
            if rule_host not in (None, host) or substring not in wire:
                continue
            if isinstance(rule, BaseException):
                raise rule
            return rule(host, wire) if callable(rule) else rule
        return Reply()
