"""SSH options: Kamal's `ssh:` keys as one frozen value, plus the parsing that is pure.

    SshOptions.from_config(ssh, secrets=...)  the config's `ssh:` settings, key_data resolved
    parse_jump_host("deploy@bastion:2222")    -> JumpHost("bastion", 2222, "deploy")
    expand_proxy_command("nc %h %p", ...)     OpenSSH's %h %p %r %% tokens

Defaults follow Kamal: user root, port 22, log level fatal, ~/.ssh/config read (config: true).
Keepalives are dockyard's own: one after 4 s of silence, and the connection is given up when 2
go unanswered, so a host that stops answering is noticed within 12 s (`silence_limit`; Kamal:
every 30 s). dockyard adds `known_hosts` (a file to check host keys against instead of
~/.ssh/known_hosts), `connect_timeout`, `max_concurrent_starts` (Kamal's sshkit key) and
`max_sessions` (session channels open at once per connection: sshd's MaxSessions, default 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dockyard.config.settings import Ssh
from dockyard.errors import ConfigError

DEFAULT_MAX_CONCURRENT_STARTS = 30  # Kamal's sshkit.max_concurrent_starts default
DEFAULT_MAX_SESSIONS = 10  # sshd's MaxSessions default: session channels open at once
LOG_LEVELS = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40, "fatal": 50}


DEFAULT_COMMAND_TIMEOUT = 300.0  # seconds


@dataclass(frozen=True)
class JumpHost:
    host: str
    port: int = 22
    user: str = "root"

    def __str__(self) -> str:
        port = f":{self.port}" if self.port != 22 else ""
        return f"{self.user}@{self.host}{port}"


@dataclass(frozen=True)
class SshOptions:
    """How to reach every host of a deploy. Immutable; make a new one to change a value."""

    user: str = "root"
    port: int = 22
    proxy: JumpHost | None = None
    proxy_command: str | None = None  # ignored when proxy is set, as in Kamal
    keys: tuple[str, ...] = ()
    keys_only: bool = False
    key_data: tuple[str, ...] = field(default=(), repr=False)
    config: bool | tuple[str, ...] = True
    forward_agent: bool = False
    log_level: str = "fatal"
    known_hosts: str | None = None
    connect_timeout: float = 30.0
    keepalive_interval: float = 4.0
    keepalive_count_max: int = 2
    # a command given no timeout of its own ends after this (a wedged engine must not hang a
    # deploy); steps that may run long (builds, loads, backups) give their own
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    max_concurrent_starts: int = DEFAULT_MAX_CONCURRENT_STARTS
    max_sessions: int = DEFAULT_MAX_SESSIONS

    def __post_init__(self) -> None:
        if self.log_level.lower() not in LOG_LEVELS:
            raise ConfigError(f"should be one of {', '.join(LOG_LEVELS)}", key="ssh/log_level")
        if self.max_concurrent_starts < 1:
            raise ConfigError("should be at least 1", key="sshkit/max_concurrent_starts")
        if self.max_sessions < 2:
            raise ConfigError("should be at least 2 (one is kept for SFTP)", key="max_sessions")

    @property
    def silence_limit(self) -> float:
        """Seconds of silence from a connected host before it counts as gone: a keepalive after
        each `keepalive_interval` of silence, `keepalive_count_max` of them unanswered."""
        return self.keepalive_interval * (self.keepalive_count_max + 1)

    @property
    def log_level_number(self) -> int:
        return LOG_LEVELS[self.log_level.lower()]

    @classmethod
    def from_config(
        cls,
        ssh: Ssh,
        *,
        secrets: Mapping[str, str] | None = None,
        max_concurrent_starts: int = DEFAULT_MAX_CONCURRENT_STARTS,
    ) -> SshOptions:
        """Options from the config's `ssh:` settings; `secrets` holds the values of the key_data
        entries that name secrets (Ssh.key_data_secrets), an inline key is used as it is."""
        secrets = secrets or {}
        return cls(
            user=ssh.user,
            port=ssh.port,
            proxy=parse_jump_host(ssh.proxy) if ssh.proxy else None,
            proxy_command=ssh.proxy_command,
            keys=ssh.keys,
            keys_only=bool(ssh.keys_only),
            key_data=tuple(secrets.get(key, key) for key in ssh.key_data),
            config=(ssh.config,) if isinstance(ssh.config, str) else ssh.config,
            forward_agent=bool(ssh.forward_agent),
            log_level=ssh.log_level,
            max_concurrent_starts=max_concurrent_starts,
        )


def parse_jump_host(spec: str) -> JumpHost:
    """`[user@]host[:port]`, user root by default as in Kamal; `[::1]:22` for IPv6."""
    user, _, hostport = spec.rpartition("@")
    host, port = hostport, 22
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = _port(rest[1:], spec) if rest.startswith(":") else 22
    elif hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        port = _port(port_text, spec)
    if not host:
        raise ConfigError(f"{spec!r} has no host; write it as user@host[:port]", key="ssh/proxy")
    return JumpHost(host=host, port=port, user=user or "root")


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{spec!r} has a bad port; write it as user@host[:port]", key="ssh/proxy")
    return int(text)


def expand_proxy_command(command: str, *, host: str, port: int, user: str) -> str:
    """Replace OpenSSH's ProxyCommand tokens %h, %p, %r and %%."""
    out: list[str] = []
    tokens = {"h": host, "p": str(port), "r": user, "%": "%"}
    i = 0
    while i < len(command):
        char = command[i]
        if char == "%" and i + 1 < len(command) and command[i + 1] in tokens:
            out.append(tokens[command[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)
