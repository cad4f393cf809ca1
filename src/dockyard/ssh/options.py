"""SSH options: Kamal's `ssh:` keys as one frozen value, plus the parsing that is pure.

    SshOptions.from_kamal(raw, secrets=...)   the `ssh:` mapping of deploy.yml, key_data resolved
    parse_jump_host("deploy@bastion:2222")    -> JumpHost("bastion", 2222, "deploy")
    expand_proxy_command("nc %h %p", ...)     OpenSSH's %h %p %r %% tokens

Defaults follow Kamal: user root, port 22, keepalive every 30 s, log level fatal, ~/.ssh/config
read (config: true). dockyard adds `known_hosts` (a file to check host keys against instead of
~/.ssh/known_hosts), `connect_timeout`, `max_concurrent_starts` (Kamal's sshkit key) and
`max_sessions` (session channels open at once per connection: sshd's MaxSessions, default 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    keepalive_interval: float = 30.0
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
    def log_level_number(self) -> int:
        return LOG_LEVELS[self.log_level.lower()]

    @classmethod
    def from_kamal(
        cls,
        raw: Mapping[str, Any],
        *,
        secrets: Mapping[str, str] | None = None,
        max_concurrent_starts: int = DEFAULT_MAX_CONCURRENT_STARTS,
    ) -> SshOptions:
        """Options from Kamal's `ssh:` mapping. `key_data` items name secrets (inline PEM too)."""
        secrets = secrets or {}
        config = raw.get("config", True)
        if isinstance(config, str):
            config = (config,)
        elif isinstance(config, list):
            config = tuple(str(path) for path in config)
        proxy = raw.get("proxy")
        return cls(
            user=str(raw.get("user", "root")),
            port=int(raw.get("port", 22)),
            proxy=parse_jump_host(str(proxy)) if proxy else None,
            proxy_command=raw.get("proxy_command"),
            keys=tuple(str(k) for k in raw.get("keys") or ()),
            keys_only=bool(raw.get("keys_only", False)),
            key_data=tuple(secrets.get(k, k) for k in raw.get("key_data") or ()),
            config=config,
            forward_agent=bool(raw.get("forward_agent", False)),
            log_level=str(raw.get("log_level", "fatal")),
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
