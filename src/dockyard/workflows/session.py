"""One command's time on the servers: the config and what the user picked, the secrets (read
once, when first needed), the hooks, and the SSH transport, opened for the work and closed after.

    session = Session.load(Request(config_file="config/deploy.yml", selection=...), progress)
    found = session.on_hosts(hosts, step)      # step(server) on every host at once: {host: T}
    value = session.run(work)                  # work(transport): one pool of connections

Every entry point of the workflow layer takes a Session, so the CLI passes options and gets
results: it never opens a transport. The pre-connect hook runs once, before the first
connection; with -v the round trips of each run are reported. A failure goes up as it is: the
CLI shows its details below its error line.
"""

from __future__ import annotations

import asyncio
import getpass
import secrets as random_tokens
import subprocess
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypeVar

from dockyard.config.objects import Config
from dockyard.loading import DEFAULT_CONFIG_FILE, load_config
from dockyard.plan.from_config import Selection
from dockyard.plan.targets import check_selection
from dockyard.redaction import Secret
from dockyard.secrets import Secrets, load_secrets
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.options import SshOptions
from dockyard.ssh.transport import HostStats
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.hooks import HookContext, run_hook
from dockyard.workflows.server import Server

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """What the command line asked for, whatever the command (Kamal's global options)."""

    config_file: str = DEFAULT_CONFIG_FILE
    destination: str | None = None
    version: str | None = None  # --version
    selection: Selection = field(default_factory=Selection)  # -h, -r, -p
    skip_hooks: bool = False
    lock_wait: float = 0  # seconds to wait for a held deploy lock; 0: fail at once
    lock_interval: float = 15
    command: tuple[str, ...] = ()  # the command's words (`proxy reboot`): KAMAL_COMMAND...


class Progress(Protocol):
    """What a workflow says along the way (the CLI prints it)."""

    def step(self, message: str) -> None: ...

    def host(self, host: str, message: str) -> None: ...

    def round_trips(self, stats: Mapping[str, HostStats]) -> None: ...


class Silent:
    """A Progress that says nothing."""

    def step(self, message: str) -> None:
        pass

    def host(self, host: str, message: str) -> None:
        pass

    def round_trips(self, stats: Mapping[str, HostStats]) -> None:
        pass


Connect = Callable[[SshOptions], AsyncsshTransport]


@dataclass
class Session:
    config: Config
    request: Request = field(default_factory=Request)
    progress: Progress = field(default_factory=Silent)
    root: Path = field(default_factory=Path.cwd)
    connect: Connect = AsyncsshTransport  # tests give a scripted transport
    connected: bool = False  # pre-connect runs once, before the first connection

    @classmethod
    def load(cls, request: Request, progress: Progress, *, version: str | None = None) -> Session:
        """The session of the config the request names, for `version` (else --version, else
        $VERSION or the git HEAD); -r and -h must match something of the config."""
        config = load_config(
            request.config_file,
            destination=request.destination,
            version=version or request.version,
        )
        check_selection(config, request.selection)
        return cls(config, request, progress)

    def with_version(self, version: str) -> Session:
        """The same command for another app version (the config loaded again for it)."""
        again = Session.load(self.request, self.progress, version=version)
        return replace(again, root=self.root, connect=self.connect, connected=self.connected)

    @property
    def selection(self) -> Selection:
        return self.request.selection

    @cached_property
    def secrets(self) -> Secrets:
        return load_secrets(self.config.secrets_path, self.config.destination, root=self.root)

    def secret_values(self, names: Iterable[str]) -> dict[str, Secret]:
        return {name: self.secrets.get(name) for name in dict.fromkeys(names)}

    def server(self, transport: AsyncsshTransport, host: str) -> Server:
        return Server(transport, host, self.config.runtime)

    def run(self, work: Callable[[AsyncsshTransport], Awaitable[T]]) -> T:
        """Run async work with a transport that is always closed."""

        async def main() -> T:
            if not self.connected:
                hosts = [h for h in self.config.all_hosts if self.selection.host_ok(h)]
                await self.hook("pre-connect", hosts)
                self.connected = True
            transport = self.connect(self.ssh_options())
            try:
                return await work(transport)
            finally:
                self.progress.round_trips(transport.all_stats())
                await transport.close()

        return asyncio.run(main())

    def on_hosts(
        self, hosts: Sequence[str], step: Callable[[Server], Awaitable[T]]
    ) -> dict[str, T]:
        """step on every host, all at once, over one transport: {host: result}."""

        async def work(transport: AsyncsshTransport) -> dict[str, T]:
            return await on_servers([self.server(transport, h) for h in hosts], step)

        return self.run(work)

    def ssh_options(self) -> SshOptions:
        ssh = self.config.ssh
        return SshOptions.from_config(
            ssh,
            secrets=self.secret_values(ssh.key_data_secrets),
            max_concurrent_starts=self.config.sshkit.max_concurrent_starts,
        )

    def hook_context(self, hosts: Iterable[str] = ()) -> HookContext:
        """Kamal's hook variables for the command that runs (KAMAL_COMMAND/SUBCOMMAND from
        the command line: `proxy reboot` is proxy/reboot)."""
        words = self.request.command
        return HookContext(
            service=self.config.service, version=self.config.version, performer=performer(),
            command=words[0] if words else "", subcommand=" ".join(words[1:]),
            destination=self.config.destination, hosts=tuple(hosts),
            roles=self.selection.roles,
        )  # fmt: skip

    async def hook(self, name: str, hosts: Iterable[str] = ()) -> bool:
        """Run a hook (unless -H); a failing hook raises HookError and stops the command."""
        hooks_path = self.root / self.config.hooks_path
        context = self.hook_context(hosts)
        return await run_hook(hooks_path, name, context, skip=self.request.skip_hooks)


def token() -> str:
    return random_tokens.token_hex(6)


def performer() -> str:
    """Kamal's: the git user's email, else the login name."""
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        email = ""
    return email or getpass.getuser()
