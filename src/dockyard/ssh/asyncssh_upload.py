"""Atomic SFTP writes: a reader of the target sees the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import logging
import posixpath
import secrets

import asyncssh

# The SFTP session itself is gone: the next upload should start a new one.
SFTP_SESSION_LOST = (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection)


async def atomic_write(sftp: asyncssh.SFTPClient, data: bytes, target: str, mode: int) -> None:
    """Write a temp file beside `target` (created with `mode`), fsync it, rename it over."""
    directory, name = posixpath.split(target)
    temp = posixpath.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    try:
        async with sftp.open(temp, "wb", asyncssh.SFTPAttrs(permissions=mode)) as remote_file:
            await remote_file.write(data)
            await remote_file.chmod(mode)  # the exact mode, whatever sftp-server's umask is
            await _fsync(remote_file)
        await sftp.posix_rename(temp, target)  # replaces the target atomically
    except BaseException:
        await _remove_quietly(sftp, temp)
        raise


async def _fsync(remote_file: asyncssh.SFTPClientFile) -> None:
    # A server without OpenSSH's fsync extension: the rename still makes the write atomic.
    with contextlib.suppress(asyncssh.SFTPOpUnsupported):
        await remote_file.fsync()


async def _remove_quietly(sftp: asyncssh.SFTPClient, path: str) -> None:
    try:
        await sftp.remove(path)
    except (asyncssh.Error, OSError):
        logging.getLogger(__name__).debug("could not remove temp file %s", path)
