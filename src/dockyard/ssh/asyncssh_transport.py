"""AsyncsshTransport: the Transport over real SSH, one pooled connection per host.

    transport = AsyncsshTransport(SshOptions(user="deploy", known_hosts="/path/known_hosts"))
    result = await transport.run("10.0.0.1", cmd("docker", "ps"))   # raises CommandFailed
    await transport.upload("10.0.0.1", b"K=V\n", ".dockyard/app.env", mode=0o600)
    data = await transport.download("10.0.0.1", ".dockyard/app.env")
    reader, writer = await transport.open_unix_connection("10.0.0.1", "/run/caddy/admin.sock")
    reader, writer = await transport.open_tcp_connection("10.0.0.1", "172.18.0.5", 3000)
    transport.stats("10.0.0.1")    # HostStats(connections=1, commands=1, uploads=1, streams=1)
    await transport.close()        # or: async with AsyncsshTransport(...) as transport

The first use of a host opens its connection (at most `max_concurrent_starts` opening at once,
behind a per-host lock); every later command reuses it, and a dead one is reopened on next use.
A host that stops answering (its keepalives unanswered for `silence_limit` seconds) fails what
it was doing with HostUnreachable, and so does every later use of it in this transport, at once.
A jump host (`ssh/proxy`) gets one connection of its own that all targets tunnel through (its
counters are under `jump:user@host:port` in all_stats()). Commands share a connection, at most
`max_sessions - 1` at a time per host (sshd's MaxSessions; one channel is kept for SFTP).
Every asyncssh error is mapped to dockyard's error tree before it leaves this package; secrets in
commands, env and input are redacted from asyncssh's log records.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import replace
from types import TracebackType
from typing import TypeVar

import asyncssh

from dockyard.commands.base import Command
from dockyard.errors import (
    CommandFailed,
    CommandTimeout,
    HostUnreachable,
    Result,
    SshConnectError,
    SshError,
    brief,
)
from dockyard.ssh.asyncssh_connect import Endpoint, Pooled, open_connection
from dockyard.ssh.asyncssh_streams import SshByteReader, SshByteWriter
from dockyard.ssh.asyncssh_upload import SFTP_SESSION_LOST, atomic_write
from dockyard.ssh.errormap import mapped_errors
from dockyard.ssh.options import SshOptions
from dockyard.ssh.redact import SecretLogFilter, redacted, secrets_in
from dockyard.ssh.transport import (
    ByteReader,
    ByteWriter,
    HostStats,
    effective_timeout,
    remote_path,
    render_for_wire,
)

T = TypeVar("T")
Opener = Callable[[Pooled], Awaitable[T]]
RemoteListener = asyncssh.SSHListener


class AsyncsshTransport:
    def __init__(self, options: SshOptions | None = None) -> None:
        self.options = options or SshOptions()
        self._pool: dict[str, Pooled] = {}
        self._jumps: dict[str, Pooled] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._starts = asyncio.Semaphore(self.options.max_concurrent_starts)
        self._sessions: dict[str, asyncio.Semaphore] = {}
        self._stats: dict[str, HostStats] = {}
        self._log_filter = SecretLogFilter.install(self.options.log_level_number)

    async def __aenter__(self) -> AsyncsshTransport:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

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
        timeout = effective_timeout(timeout, self.options.command_timeout)
        secrets = secrets_in(cmd, env, input)
        self._log_filter.remember(secrets)
        with self._mapped(host, shown):
            async with self._session_slot(host):
                pooled, process = await self._start_process(host, wire, input)
                self._host_stats(host).commands += 1
                completed = await _wait(process, timeout)
        if completed is None:
            raise CommandTimeout(host, shown, timeout or 0)
        if completed.exit_status is None and completed.exit_signal is None and not pooled.alive:
            raise self._lost(host, pooled, shown)  # cut off: no exit status will come
        stderr = redacted(_stderr(completed), secrets)  # shown below a failure's error line
        result = Result(host, shown, _exit_status(completed), _str(completed.stdout), stderr)
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    async def _on_live_connection(self, host: str, open_channel: Opener[T]) -> T:
        """`open_channel` on the host's connection; one found dead on the way is reopened once
        (unless it died of silence: see _connection).

        Safe because every opener is idempotent: a process start or a stream open that failed
        ran nothing, and an atomic upload only ever renames a complete file into place.
        """
        pooled = await self._connection(host)
        try:
            return await open_channel(pooled)
        except (asyncssh.Error, OSError):
            if pooled.alive:
                raise
        return await open_channel(await self._connection(host))

    async def _start_process(
        self, host: str, wire: str, input: str | None
    ) -> tuple[Pooled, asyncssh.SSHClientProcess[str]]:
        async def start(pooled: Pooled) -> tuple[Pooled, asyncssh.SSHClientProcess[str]]:
            process = await pooled.conn.create_process(wire, input=input, errors="replace")
            if input == "":  # asyncssh only sends (and closes) stdin for non-empty input
                process.stdin.write_eof()
            return pooled, process

        return await self._on_live_connection(host, start)

    @contextlib.contextmanager
    def _mapped(self, host: str, command: str) -> Iterator[None]:
        """mapped_errors, and whatever failed on a host that stopped answering is said so."""
        try:
            with mapped_errors(
                host, port=self.options.port, command=command, silence=self.options.silence_limit
            ):
                yield
        except SshError as error:
            pooled = self._pool.get(host)
            if pooled is not None and pooled.stopped_answering:
                raise self._unreachable(host) from error
            raise

    def _lost(self, host: str, pooled: Pooled, command: str) -> SshError:
        """A command cut off by the end of its connection."""
        if pooled.stopped_answering:
            return self._unreachable(host)
        lost = f"the connection was lost while `{brief(command)}` ran"
        return SshConnectError(host, f"{lost}; check that sshd is running")

    def _unreachable(self, host: str) -> HostUnreachable:
        return HostUnreachable(host, self.options.silence_limit)

    async def upload(
        self, host: str, data: bytes, path: str, *, mode: int = 0o600, timeout: float | None = None
    ) -> None:
        """Write `data` to `path` atomically: a temp file beside it with `mode`, then a rename.
        It ends by `timeout` as a run does (None: the default command timeout; UNBOUNDED: no
        deadline, for uploads as big as the data); past it, the temp file is removed."""

        async def write(pooled: Pooled) -> None:
            sftp = await self._sftp(host, pooled)
            try:
                await atomic_write(sftp, data, remote_path(path), mode)
            except SFTP_SESSION_LOST:
                pooled.sftp = None
                raise

        deadline = effective_timeout(timeout, self.options.command_timeout)
        try:
            async with asyncio.timeout(deadline):
                with self._mapped(host, f"upload {path}"):
                    await self._on_live_connection(host, write)
        except TimeoutError:
            raise CommandTimeout(host, f"upload {path}", deadline or 0) from None
        self._host_stats(host).uploads += 1

    async def forward_remote_port(self, host: str, port: int, local_port: int) -> RemoteListener:
        """A reverse tunnel: 127.0.0.1:`port` on the host reaches 127.0.0.1:`local_port` here
        (ssh -R); close() the listener to end it."""

        async def listen(pooled: Pooled) -> RemoteListener:
            return await pooled.conn.forward_remote_port("127.0.0.1", port, "127.0.0.1", local_port)

        with self._mapped(host, f"forward port {port}"):
            listener = await self._on_live_connection(host, listen)
        self._host_stats(host).streams += 1
        return listener

    async def download(self, host: str, path: str) -> bytes:
        """The whole content of a file on the host, over SFTP (image layers, build outputs)."""

        async def read(pooled: Pooled) -> bytes:
            sftp = await self._sftp(host, pooled)
            try:
                async with sftp.open(remote_path(path), "rb") as remote_file:
                    data = await remote_file.read()
            except SFTP_SESSION_LOST:
                pooled.sftp = None
                raise
            return data if isinstance(data, bytes) else data.encode()

        with self._mapped(host, f"download {path}"):
            data = await self._on_live_connection(host, read)
        self._host_stats(host).streams += 1
        return data

    async def open_unix_connection(self, host: str, path: str) -> tuple[ByteReader, ByteWriter]:
        """Streams to a unix socket on the host, through the SSH connection (direct-streamlocal)."""

        async def connect(pooled: Pooled) -> tuple[SshByteReader, SshByteWriter]:
            reader, writer = await pooled.conn.open_unix_connection(path, encoding=None)
            silence = self.options.silence_limit
            return SshByteReader(host, reader, silence), SshByteWriter(host, writer, silence)

        with self._mapped(host, f"connect to {path}"):
            streams = await self._on_live_connection(host, connect)
        self._host_stats(host).streams += 1
        return streams

    async def open_tcp_connection(
        self, host: str, address: str, port: int
    ) -> tuple[ByteReader, ByteWriter]:
        """Streams to `address:port` as seen from the host (direct-tcpip), e.g. a container."""

        async def connect(pooled: Pooled) -> tuple[SshByteReader, SshByteWriter]:
            reader, writer = await pooled.conn.open_connection(address, port, encoding=None)
            silence = self.options.silence_limit
            return SshByteReader(host, reader, silence), SshByteWriter(host, writer, silence)

        with self._mapped(host, f"connect to {address}:{port}"):
            streams = await self._on_live_connection(host, connect)
        self._host_stats(host).streams += 1
        return streams

    def stats(self, host: str) -> HostStats:
        return replace(self._host_stats(host))

    def all_stats(self) -> dict[str, HostStats]:
        return {host: replace(stats) for host, stats in self._stats.items()}

    async def close(self) -> None:
        pooled = [*self._pool.values(), *self._jumps.values()]
        self._pool.clear()
        self._jumps.clear()
        for each in pooled:
            each.conn.close()
        for each in pooled:
            await each.conn.wait_closed()
        self._log_filter.uninstall()

    def _session_slot(self, host: str) -> asyncio.Semaphore:
        """sshd refuses more than MaxSessions session channels; one is kept for SFTP."""
        if host not in self._sessions:
            self._sessions[host] = asyncio.Semaphore(self.options.max_sessions - 1)
        return self._sessions[host]

    def _lock(self, key: str) -> asyncio.Lock:
        if key not in self._locks:
            self._locks[key] = asyncio.Lock()
        return self._locks[key]

    def _host_stats(self, host: str) -> HostStats:
        return self._stats.setdefault(host, HostStats())

    async def _connection(self, host: str) -> Pooled:
        async with self._lock(host):
            pooled = self._pool.get(host)
            if pooled is not None and pooled.alive:
                return pooled
            if pooled is not None and pooled.stopped_answering:
                # it went silent in the middle of this run: a new connection would only wait
                # out connect_timeout; this run is done with the host (the next one tries again)
                raise self._unreachable(host)
            self._log_filter.attach()  # again, if the transport is used after close()
            tunnel = await self._jump_connection(host)
            endpoint = Endpoint(host, self.options.port, self.options.user)
            async with self._starts:
                pooled = await open_connection(self.options, endpoint, tunnel=tunnel)
            self._pool[host] = pooled
            self._host_stats(host).connections += 1
            return pooled

    async def _jump_connection(self, host: str) -> asyncssh.SSHClientConnection | None:
        jump = self.options.proxy
        if jump is None:
            return None
        key = f"jump:{jump}"
        async with self._lock(key):
            pooled = self._jumps.get(key)
            if pooled is None or not pooled.alive:
                endpoint = Endpoint(jump.host, jump.port, jump.user)
                try:
                    pooled = await open_connection(self.options, endpoint)
                except SshError as exc:  # name the target, and say the jump host failed
                    raise type(exc)(host, f"via jump host {jump}: {exc.message}") from exc
                self._jumps[key] = pooled
                self._host_stats(key).connections += 1
            return pooled.conn

    async def _sftp(self, host: str, pooled: Pooled) -> asyncssh.SFTPClient:
        async with self._lock(f"sftp:{host}"):
            if pooled.sftp is None:
                pooled.sftp = await pooled.conn.start_sftp_client()
            return pooled.sftp


async def _wait(
    process: asyncssh.SSHClientProcess[str], timeout: float | None
) -> asyncssh.SSHCompletedProcess | None:
    """The completed process, or None when it ran past `timeout` (then it is signalled)."""
    try:
        return await process.wait(check=False, timeout=timeout)
    except asyncssh.TimeoutError:
        # OpenSSH delivers signals only to non-root sessions (privilege separation); a root
        # command keeps running until it next writes to the closed channel.
        with contextlib.suppress(OSError, asyncssh.Error):
            process.send_signal("TERM")
        process.close()
        return None


def _exit_status(completed: asyncssh.SSHCompletedProcess) -> int:
    if completed.exit_status is not None and completed.exit_status >= 0:
        return completed.exit_status
    return 255  # killed by a signal or no status sent: ssh(1) reports 255 too


def _stderr(completed: asyncssh.SSHCompletedProcess) -> str:
    text = _str(completed.stderr)
    if completed.exit_signal:
        text += f"\nkilled by signal {completed.exit_signal[0]}"
    return text


def _str(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
