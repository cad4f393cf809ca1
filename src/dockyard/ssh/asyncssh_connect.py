"""Opening one asyncssh connection from SshOptions: keys, agent, config, jump host, host keys.

Host keys are always checked: against `known_hosts` when given, else ~/.ssh/known_hosts (never
`known_hosts=None`, which would turn checking off). The client object remembers the key a server
offered, so an unknown or changed key is reported with its fingerprint.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

import asyncssh

from dockyard.errors import HostKeyError, SshAuthError
from dockyard.ssh.errormap import host_key_error, is_keepalive_loss, mapped_errors
from dockyard.ssh.options import SshOptions, expand_proxy_command


class _Client(asyncssh.SSHClient):
    """Records the host key a server offered when it was not trusted, and when the link died
    (and whether it died of silence: keepalives unanswered)."""

    def __init__(self) -> None:
        self.offered: asyncssh.SSHKey | None = None
        self.offered_addr = ""
        self.lost = False
        self.silent = False

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.offered, self.offered_addr = key, addr
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.silent = is_keepalive_loss(exc)


@dataclass
class Pooled:
    """One live connection to one host, with its SFTP session once one was needed."""

    conn: asyncssh.SSHClientConnection
    client: _Client
    sftp: asyncssh.SFTPClient | None = None

    @property
    def alive(self) -> bool:
        return not self.client.lost

    @property
    def stopped_answering(self) -> bool:
        """Closed because the host went silent: the host is down or the network to it cut."""
        return self.client.silent


@dataclass(frozen=True)
class Endpoint:
    """Where to connect: a target host, or the jump host in front of it."""

    host: str
    port: int
    user: str


async def open_connection(
    options: SshOptions, endpoint: Endpoint, *, tunnel: asyncssh.SSHClientConnection | None = None
) -> Pooled:
    """A connected, authenticated connection; every failure is a DockyardError."""
    client = _Client()
    kwargs = _connect_kwargs(options, endpoint, tunnel)
    with mapped_errors(endpoint.host, port=endpoint.port):
        kwargs["known_hosts"], known_file = await _known_hosts(options, endpoint)
        try:
            conn = await asyncssh.connect(
                endpoint.host, endpoint.port, client_factory=lambda: client, **kwargs
            )
        except asyncssh.HostKeyNotVerifiable:
            raise _host_key_error(known_file, endpoint, client) from None
        except asyncssh.PermissionDenied:
            raise _refused_keys(options, endpoint) from None
        except _KEY_MISMATCH_SYMPTOMS:
            await _raise_if_key_type_changed(known_file, endpoint, kwargs)
            raise
    return Pooled(conn=conn, client=client)


# How a handshake fails when the server has none of the key types known_hosts has for it:
# asyncssh offers only those types, and OpenSSH's sshd drops the connection.
_KEY_MISMATCH_SYMPTOMS = (asyncssh.KeyExchangeFailed, asyncssh.ConnectionLost, ConnectionResetError)


async def _raise_if_key_type_changed(
    known_file: str | None, endpoint: Endpoint, kwargs: dict[str, Any]
) -> None:
    """Ask the server for its key (no login); a key known_hosts lacks means the key changed."""
    trusted = _trusted_keys(known_file, endpoint, "")
    if not trusted:
        return
    probe = {k: kwargs[k] for k in ("tunnel", "proxy_command", "config") if k in kwargs}
    try:
        key = await asyncio.wait_for(
            asyncssh.get_server_host_key(endpoint.host, endpoint.port, **probe),
            kwargs["connect_timeout"],
        )
    except (OSError, asyncssh.Error):
        return
    if key is not None and key not in trusted:
        shown = f"{key.get_algorithm()} key {key.get_fingerprint()}"
        raise host_key_error(
            endpoint.host, endpoint.port, known_file, offered=shown, changed=True
        ) from None


async def _known_hosts(options: SshOptions, endpoint: Endpoint) -> tuple[Any, str | None]:
    """(asyncssh's known_hosts argument, the file to name in messages; None: the default).

    Checking is never off: asyncssh would take `UserKnownHostsFile none` in ~/.ssh/config as
    "no checking", so then the default ~/.ssh/known_hosts is used (`[]` asks asyncssh for it).
    A missing file trusts no key, as in OpenSSH.
    """
    if options.known_hosts:
        return _existing([options.known_hosts]), options.known_hosts
    if options.config is False:
        return [], None
    probe = await asyncssh.SSHClientConnectionOptions.construct(
        host=endpoint.host,
        port=endpoint.port,
        username=endpoint.user,
        config=_config_paths(options.config),
        client_keys=None,
    )
    files = probe.known_hosts
    if isinstance(files, list | tuple) and files and all(isinstance(f, str) for f in files):
        paths = [os.path.expanduser(f) for f in files]
        return _existing(paths), paths[0]  # the config's UserKnownHostsFile
    return [], None


def _existing(paths: list[str]) -> Any:
    found = [path for path in paths if os.path.isfile(path)]
    return found or asyncssh.import_known_hosts("")


def _connect_kwargs(
    options: SshOptions, endpoint: Endpoint, tunnel: asyncssh.SSHClientConnection | None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "username": endpoint.user,
        "config": _config_paths(options.config),
        "connect_timeout": options.connect_timeout,
        "keepalive_interval": options.keepalive_interval,
        "keepalive_count_max": options.keepalive_count_max,
        "agent_forwarding": options.forward_agent,
    }
    keys = _client_keys(options, endpoint.host)
    if keys:
        kwargs["client_keys"] = keys
    if options.keys_only:
        kwargs["agent_path"] = None
    if tunnel is not None:
        kwargs["tunnel"] = tunnel
    elif options.proxy_command and options.proxy is None:
        kwargs["proxy_command"] = expand_proxy_command(
            options.proxy_command, host=endpoint.host, port=endpoint.port, user=endpoint.user
        )
    return kwargs


def _config_paths(config: bool | tuple[str, ...]) -> Any:
    if config is True:
        return ()  # asyncssh reads ~/.ssh/config when it exists
    if config is False:
        return []
    return [os.path.expanduser(path) for path in config]


def _client_keys(options: SshOptions, host: str) -> list[Any]:
    keys: list[Any] = []
    for path in options.keys:
        expanded = os.path.expanduser(path)
        if not os.path.exists(expanded):
            raise SshAuthError(host, f"ssh/keys: {path} does not exist; fix the path")
        keys.append(expanded)
    for number, data in enumerate(options.key_data, start=1):
        try:
            keys.append(asyncssh.import_private_key(data))
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            raise SshAuthError(
                host, f"ssh/key_data: key {number} cannot be read ({exc}); check the secret"
            ) from None
    return keys


def _refused_keys(options: SshOptions, endpoint: Endpoint) -> SshAuthError:
    """The server accepted none of our keys: say for which user, on which port, which keys."""
    user = endpoint.user
    return SshAuthError(
        endpoint.host,
        f"the server refused our SSH keys for user {user} on port {endpoint.port} (tried "
        f"{keys_tried(options)}); check ssh/user and ssh/keys, or add your public key to "
        f"~{user}/.ssh/authorized_keys on the server",
    )


def keys_tried(options: SshOptions) -> str:
    """The keys a connection offers, as the user configured them."""
    tried = list(options.keys)
    if options.key_data:
        tried.append(f"{len(options.key_data)} key(s) from ssh/key_data")
    if not tried:
        tried.append("the keys ~/.ssh/config names, or else ~/.ssh/id_*")
    if not options.keys_only and os.environ.get("SSH_AUTH_SOCK"):
        tried.append("the ssh-agent's keys")
    return ", ".join(tried)


def _host_key_error(known_file: str | None, endpoint: Endpoint, client: _Client) -> HostKeyError:
    offered = client.offered
    shown = f"{offered.get_algorithm()} key {offered.get_fingerprint()}" if offered else None
    changed = _has_known_key(known_file, endpoint, client.offered_addr)
    return host_key_error(endpoint.host, endpoint.port, known_file, offered=shown, changed=changed)


def _has_known_key(known_hosts: str | None, endpoint: Endpoint, addr: str) -> bool:
    return bool(_trusted_keys(known_hosts, endpoint, addr))


def _trusted_keys(known_hosts: str | None, endpoint: Endpoint, addr: str) -> list[asyncssh.SSHKey]:
    path = known_hosts or os.path.expanduser("~/.ssh/known_hosts")
    if not os.path.isfile(path):
        return []
    port = endpoint.port if endpoint.port != 22 else None
    try:
        return list(asyncssh.match_known_hosts(path, endpoint.host, addr, port)[0])
    except (OSError, ValueError):
        return []
