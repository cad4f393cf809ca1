"""What every server command needs: options, config, lazy secrets, a transport, a printer."""

from __future__ import annotations

import asyncio
import getpass
import secrets as random_tokens
import subprocess
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from dockyard.cli.options import GlobalOptions
from dockyard.cli.output import Printer
from dockyard.config.objects import Config
from dockyard.errors import DockyardError
from dockyard.plan.from_config import Selection
from dockyard.redaction import Secret
from dockyard.secrets import Secrets, load_secrets
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.options import SshOptions
from dockyard.workflows.hooks import HookContext, run_hook

T = TypeVar("T")


@dataclass
class AppContext:
    options: GlobalOptions
    config: Config
    root: Path = field(default_factory=Path.cwd)
    connected: bool = False  # pre-connect runs once, before the first connection

    @classmethod
    def load(cls, options: GlobalOptions, *, version: str | None = None) -> AppContext:
        from dockyard.loading import load_config

        config = load_config(
            options.config_file, destination=options.destination, version=version or options.version
        )
        return cls(options, config)

    @cached_property
    def secrets(self) -> Secrets:
        return load_secrets(self.config.secrets_path, self.config.destination, root=self.root)

    def secret_values(self, names: Iterable[str]) -> dict[str, Secret]:
        return {name: self.secrets.get(name) for name in dict.fromkeys(names)}

    @cached_property
    def printer(self) -> Printer:
        return Printer(quiet=self.options.quiet, verbose=self.options.verbose)

    @property
    def selection(self) -> Selection:
        return Selection(self.options.hosts, self.options.roles, self.options.primary)

    def transport(self) -> AsyncsshTransport:
        ssh = SshOptions.from_config(
            self.config.ssh,
            secrets=self.secret_values(self.config.ssh.key_data_secrets),
            max_concurrent_starts=self.config.sshkit.max_concurrent_starts,
        )
        return AsyncsshTransport(ssh)

    def run(self, work: Callable[[AsyncsshTransport], Awaitable[T]]) -> T:
        """Run async work with a transport that is always closed; print details of a failure."""

        async def main() -> T:
            if not self.connected:
                selection = self.selection
                hosts = [h for h in self.config.all_hosts if selection.host_ok(h)]
                await self.hook("pre-connect", hosts)
                self.connected = True
            transport = self.transport()
            try:
                return await work(transport)
            finally:
                if self.options.verbose:
                    self.printer.round_trips(transport.all_stats())
                await transport.close()

        try:
            return asyncio.run(main())
        except DockyardError as error:
            self.printer.failure(error)
            raise

    def hook_context(self, hosts: Iterable[str] = ()) -> HookContext:
        """Kamal's hook variables for the command that runs (KAMAL_COMMAND/SUBCOMMAND from
        the command line: `proxy reboot` is proxy/reboot)."""
        words = _command_words()
        return HookContext(
            service=self.config.service, version=self.config.version, performer=performer(),
            command=words[0] if words else "", subcommand=" ".join(words[1:]),
            destination=self.config.destination, hosts=tuple(hosts),
            roles=tuple(self.options.roles),
        )  # fmt: skip

    async def hook(self, name: str, hosts: Iterable[str] = ()) -> bool:
        """Run a hook (unless -H); a failing hook raises HookError and stops the command."""
        hooks_path = self.root / self.config.hooks_path
        context = self.hook_context(hosts)
        return await run_hook(hooks_path, name, context, skip=self.options.skip_hooks)


def _command_words() -> list[str]:
    import click

    ctx = click.get_current_context(silent=True)
    words: list[str] = []
    while ctx is not None and ctx.parent is not None:
        words.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return words


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
