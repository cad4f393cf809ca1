"""Taking and releasing the deploy lock on the primary host.

Beyond Kamal: a lock left by a dockyard run that was killed on this same machine (its process
is gone) is recognised and released, with a warning, instead of blocking every later deploy.
A hook run by a deploy gets KAMAL_LOCK=true, so a `dockyard` it calls does not wait for itself.

    holder = status(session)                # `lock status`: LockDetails, or None
    acquire_by_hand(session, "maintenance") # `lock acquire -m`: deploys are refused until...
    release_by_hand(session)                # `lock release`: False when there was none
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from dockyard.commands import lock as lock_commands
from dockyard.commands.base import Command
from dockyard.commands.lock import AUTOMATIC_MESSAGE, LockDetails, check_message
from dockyard.errors import DockyardError, LockError, StepFailed, cited
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session, performer

T = TypeVar("T")

Warn = Callable[[str], None]
NOT_TAKEN = "nothing was changed; try again once the host answers"
STILL_HELD = "the lock may still be held: run `dockyard lock release` again once this is fixed"


def inherited_lock() -> bool:
    return os.environ.get("KAMAL_LOCK") == "true" or os.environ.get("DOCKYARD_LOCK") == "true"


def _process_gone(details: LockDetails) -> bool:
    """A deploy's automatic lock whose process on this machine has ended (it was killed).

    A lock taken by hand (`lock acquire -m`) outlives its command on purpose: never stale."""
    if details.message != AUTOMATIC_MESSAGE or details.pid <= 0:
        return False
    if details.machine != socket.gethostname():
        return False
    try:
        os.kill(details.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class DeployLock:
    def __init__(self, server: Server, service: str, destination: str | None) -> None:
        self.server, self.host = server, server.host
        self.service, self.destination = service, destination
        self.released = False  # set by whoever ran release_command() as part of their trip

    async def status(self) -> LockDetails | None:
        result = await self.server.run(
            lock_commands.status(self.service, self.destination), check=False
        )
        return LockDetails.decode(result.stdout) if result.ok else None

    async def try_acquire(self, details: LockDetails) -> LockDetails | None:
        """None when acquired, else the details of whoever holds it."""
        cmd = lock_commands.acquire(self.service, self.destination, details)
        result = await self.server.run(cmd, check=False)
        if result.ok:
            return None
        holder = await self.status()
        if holder is None:  # mkdir failed for another reason: report it as it is
            await self.server.run(cmd)
        return holder

    async def acquire(
        self, details: LockDetails, *, wait: float = 0, interval: float = 15, warn: Warn = print
    ) -> None:
        deadline = time.monotonic() + wait
        while (holder := await self._try_acquire(details)) is not None:
            if _process_gone(holder):
                warn(f"releasing a stale deploy lock ({holder.describe()}): its process is gone")
                await self.release()
                continue
            if not wait or time.monotonic() + interval > deadline:
                raise LockError(_held_message(self.host, holder, waited=bool(wait)))
            if holder.message != AUTOMATIC_MESSAGE:
                raise LockError(_held_message(self.host, holder, waited=False) + " (manual lock)")
            await asyncio.sleep(interval)

    async def _try_acquire(self, details: LockDetails) -> LockDetails | None:
        try:
            return await self.try_acquire(details)
        except DockyardError as error:  # the host did not answer, or refused for another reason
            raise StepFailed(self.host, "taking the deploy lock", error, NOT_TAKEN) from error

    async def release(self) -> None:
        with self.server.step("releasing the deploy lock", STILL_HELD):
            await self.server.run(self.release_command())

    def release_command(self) -> Command:
        """To release the lock within another round trip to its host (then set `released`)."""
        return lock_commands.release(self.service, self.destination)


def _held_message(host: str, holder: LockDetails, *, waited: bool) -> str:
    how = "still held after waiting" if waited else "held"
    return (
        f"the deploy lock on {host} is {how}: {holder.describe()}; wait for that deploy, "
        "use --lock-wait, or if it is abandoned run `dockyard lock release`"
    )


@asynccontextmanager
async def holding_lock(
    lock: DeployLock, details: LockDetails, *, wait: float = 0, interval: float = 15,
    warn: Warn = print,
) -> AsyncIterator[bool]:  # fmt: skip
    """Hold the lock for the block; yields whether it is this run's own (not a parent's)."""
    if inherited_lock():
        yield False
        return
    await lock.acquire(details, wait=wait, interval=interval, warn=warn)
    try:
        yield True
    except Exception as error:
        if not lock.released:
            await _release_after(lock, error)
        raise
    except BaseException:  # cancelled, interrupted: release, and let it go on
        if not lock.released:
            await lock.release()
        raise
    if not lock.released:
        await lock.release()


async def _release_after(lock: DeployLock, error: Exception) -> None:
    """Release the lock after the work failed; if that fails too, the error says both."""
    try:
        await lock.release()
    except Exception as release_error:
        raise LockError(
            f"{error}; and the deploy lock on {lock.host} could not be released "
            f"({cited(release_error, lock.host)}): run `dockyard lock release`"
        ) from error


def new_details(version: str, message: str = AUTOMATIC_MESSAGE, *, user: str) -> LockDetails:
    """A deploy's lock records its process; a lock taken by hand records none."""
    check_message(message)
    automatic = message == AUTOMATIC_MESSAGE
    return LockDetails(
        locked_by=user,
        at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        version=version,
        message=message,
        machine=socket.gethostname(),
        pid=os.getpid() if automatic else 0,
    )


# --- `lock …`: the deploy lock by hand, on the primary host ---------------------------------------


def _primary_lock(session: Session, transport: Transport) -> DeployLock:
    config = session.config
    if config.primary_host is None:
        raise DockyardError("the config has no primary host to hold the lock")
    server = Server(transport, config.primary_host, config.runtime)
    return DeployLock(server, config.service, config.destination)


@asynccontextmanager
async def command_lock(session: Session, transport: Transport) -> AsyncIterator[None]:
    """The deploy lock around a command that changes the servers outside a deploy (Kamal's
    with_lock), so that it cannot interleave with one. A config without a primary host
    (accessories only) has no lock to take."""
    if session.config.primary_host is None:
        yield
        return
    details = new_details(session.config.version, user=performer())
    async with holding_lock(_primary_lock(session, transport), details):
        yield


def run_locked(session: Session, work: Callable[[AsyncsshTransport], Awaitable[T]]) -> T:
    """session.run under the command_lock."""

    async def locked(transport: AsyncsshTransport) -> T:
        async with command_lock(session, transport):
            return await work(transport)

    return session.run(locked)


def on_hosts_locked(
    session: Session, hosts: Sequence[str], step: Callable[[Server], Awaitable[T]]
) -> dict[str, T]:
    """session.on_hosts under the deploy lock (run_locked)."""

    async def work(transport: AsyncsshTransport) -> dict[str, T]:
        return await on_servers([session.server(transport, h) for h in hosts], step)

    return run_locked(session, work)


def status(session: Session) -> LockDetails | None:
    """Who holds the deploy lock, since when and why; None when nobody does."""
    return session.run(lambda transport: _primary_lock(session, transport).status())


def acquire_by_hand(session: Session, message: str) -> None:
    """Take the deploy lock with a message; it stays until released by hand."""
    details = new_details(session.config.version, message, user=performer())

    async def work(transport: Transport) -> None:
        lock = _primary_lock(session, transport)
        with lock.server.step("taking the deploy lock", NOT_TAKEN):
            holder = await lock.try_acquire(details)
        if holder is not None:
            raise LockError(f"the deploy lock on {lock.host} is already held: {holder.describe()}")

    session.run(work)


def release_by_hand(session: Session) -> bool:
    """Release the deploy lock (also one left by a killed run); False when there was none."""

    async def work(transport: Transport) -> bool:
        lock = _primary_lock(session, transport)
        with lock.server.step("releasing the deploy lock", STILL_HELD):
            if await lock.status() is None:
                return False
            await lock.release()
        return True

    return session.run(work)
