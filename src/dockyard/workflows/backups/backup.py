"""Accessory backups on servers: the backup container, backup now, list, freshness.

Restore and verify live in restore.py and verify.py; the copies and checks they share (a backup
fetched from the store, a decrypted copy, the checksum) in copies.py.
"""

from __future__ import annotations

import time
from datetime import timedelta

from dockyard.commands import backup as commands
from dockyard.commands.app import make_dirs
from dockyard.commands.backup_s3 import S3_SH, key_env
from dockyard.commands.backup_scripts import BACKUP_SH, SCHEDULE_SH
from dockyard.commands.backup_verify import VERIFY_SH
from dockyard.commands.base import Cmd, all_of, write_stdin
from dockyard.commands.envfile import env_file
from dockyard.config.backups import BackupSettings
from dockyard.errors import AccessoryError, ConfigError, DockyardError, Result
from dockyard.facts.backup import BackupEntry, BackupListing, human_age, human_size, parse_listing
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext, failing, state_of
from dockyard.workflows.server import Server


class BackupError(DockyardError):
    """A backup, restore or verify that did not succeed (what was kept is said)."""


def settings_of(actx: AccessoryContext) -> BackupSettings | None:
    return actx.config.backups_of(actx.accessory.name)


def place_of(actx: AccessoryContext) -> commands.BackupPlace:
    settings = settings_of(actx)
    if settings is None:
        raise ConfigError(
            f"accessory {actx.accessory.name} has no backups; add "
            f"`x-dockyard: backups: {actx.accessory.name}: {{kind: postgres}}` "
            "(see docs/accessories.md)"
        )
    return commands.BackupPlace(actx.accessory, settings)


async def install(server: Server, actx: AccessoryContext) -> str:
    """(Re)create the backup container with the current scripts and schedule."""
    place = place_of(actx)
    await server.run(commands.make_backup_dirs(place))
    await server.upload(BACKUP_SH.encode(), f"{place.scripts_dir}/backup.sh", mode=0o755)
    await server.upload(SCHEDULE_SH.encode(), f"{place.scripts_dir}/schedule.sh", mode=0o755)
    await server.upload(S3_SH.encode(), f"{place.scripts_dir}/s3.sh", mode=0o755)
    await server.upload(VERIFY_SH.encode(), f"{place.scripts_dir}/verify.sh", mode=0o755)
    await server.run(commands.remove_backup_container(actx.engine, place))
    key_file = await write_key(server, actx, place)
    await server.run(
        commands.run_backup_container(actx.engine, place, actx.env_file_path, key_file)
    )
    schedule = place.settings.schedule
    when = f"on schedule {schedule.text} (UTC)" if schedule else "on demand only"
    verifies = ", and verifies them" if place.settings.verify_after_seconds is not None else ""
    return f"{place.container} runs backups {when}{verifies}"


def key_file_of(actx: AccessoryContext) -> str:
    return commands.key_env_file(actx.config.service_and_destination, actx.accessory.name)


async def write_key(
    server: Server, actx: AccessoryContext, place: commands.BackupPlace
) -> str | None:
    """The 0600 env file (from standard input) of the encryption key and the store's
    credentials, or None when there are neither."""
    settings = place.settings
    missing = [n for n in settings.secret_names if n not in actx.secrets]
    if missing:
        raise ConfigError(f"the secret {missing[0]} (named in x-dockyard/backups/"
                          f"{actx.accessory.name}) is not in .kamal/secrets")  # fmt: skip
    values = key_env(settings.encryption_key, settings.s3, actx.secrets)
    if not values:
        return None
    path = key_file_of(actx)
    content = env_file(values)
    await server.run(all_of(make_dirs(path.rsplit("/", 1)[0]), write_stdin(path)), input=content)
    return path


async def install_if_configured(server: Server, actx: AccessoryContext) -> None:
    if settings_of(actx) is not None:
        await install(server, actx)


async def remove_backup_container(server: Server, actx: AccessoryContext) -> None:
    if settings_of(actx) is not None:
        await server.run(commands.remove_backup_container(actx.engine, place_of(actx)))


async def forget_backup_setup(server: Server, actx: AccessoryContext) -> None:
    """For `accessory remove`: the backup container, its scripts and the key file (the backups
    themselves stay where they are)."""
    if settings_of(actx) is None:
        return
    place = place_of(actx)
    await server.run(commands.remove_backup_container(actx.engine, place))
    await server.run(commands.forget_setup(place, key_file_of(actx)))


async def backup_now(server: Server, actx: AccessoryContext) -> str:
    """One backup, by the same script the schedule runs; a failure keeps every earlier one."""
    untouched = "; earlier backups are untouched"
    async with failing(server, actx.accessory.name, "backing up", untouched):
        place = place_of(actx)
        key_file = await write_key(server, actx, place) if place.settings.s3 else None
        now = commands.backup_now(actx.engine, place, key_file)
        result = await _backup(server, actx, now)
        if not result.ok and await state_of(server, place.container) != "running":
            await install(server, actx)  # gone or stopped: made again, then one more try
            result = await _backup(server, actx, now)
    if not result.ok:
        reason = " / ".join(result.stderr.strip().splitlines()[-3:]) or "no message"
        raise BackupError(f"{server.host}: the backup of {actx.accessory.name} failed ({reason}); "
                          "earlier backups are untouched and no partial file is left")  # fmt: skip
    file, _, size = result.stdout.strip().rpartition("\n")[-1].partition(" ")
    return f"{file} ({size} bytes)"


async def _backup(server: Server, actx: AccessoryContext, now: Cmd) -> Result:
    """The script's run; cut off (the connection lost), it may still be running on the host."""
    try:
        return await server.run(now, check=False, timeout=UNBOUNDED)
    except DockyardError as error:
        name, cause = actx.accessory.name, str(error).removeprefix(f"{server.host}: ")
        raise AccessoryError(
            f"{server.host}: the backup of {name} was cut off ({cause}); it may still finish in "
            f"{place_of(actx).container}, and earlier backups are untouched: `dockyard accessory "
            f"backups {name}` shows whether it did"
        ) from error


async def listing(server: Server, actx: AccessoryContext) -> BackupListing:
    """The backups, newest first (`accessory backups`); a failure names the accessory."""
    async with failing(server, actx.accessory.name, "listing the backups of"):
        return await read_listing(server, actx)


async def read_listing(server: Server, actx: AccessoryContext) -> BackupListing:
    """The backups, newest first: in the backup directory, or in the S3 store (listed from the
    backup container, which has curl and reaches the store)."""
    place = place_of(actx)
    if place.settings.s3 is None:
        return parse_listing((await server.run(commands.list_backups(place))).stdout)
    key_file = await write_key(server, actx, place)
    step = commands.list_backups(place, actx.engine, key_file)
    result = await server.run(step, check=False)
    if not result.ok:
        why = last_line(result.stderr, result.stdout)
        raise BackupError(f"{server.host}: cannot list the backups of {actx.accessory.name} "
                          f"in the store: {why}; nothing was changed")  # fmt: skip
    return parse_listing(result.stdout)


def last_line(*texts: str) -> str:
    for text in texts:
        lines = text.strip().splitlines()
        if lines:
            return lines[-1]
    return "no message"


def describe(entry: BackupEntry, now: float) -> str:
    return f"{entry.file}  {human_size(entry.size)}  {human_age(now - entry.created)} ago"


async def list_lines(server: Server, actx: AccessoryContext) -> list[str]:
    found = await listing(server, actx)
    now = time.time()
    lines = [describe(b, now) for b in found.backups] or ["no backups yet"]
    return lines + freshness_lines(found, place_of(actx).settings, now)


def freshness_lines(found: BackupListing, settings: BackupSettings, now: float) -> list[str]:
    """Warnings: the last backup is older than the schedule allows, or the last run failed."""
    lines = []
    failed_last = found.last_failure and (found.last_success or 0) < found.last_failure
    if failed_last:
        lines.append(f"WARNING: the last backup failed {human_age(now - (found.last_failure or 0))}"
                     f" ago: {found.failure_message}")  # fmt: skip
    if settings.schedule:
        allowed = settings.schedule.longest_gap() + timedelta(minutes=2)
        last = found.last_success
        if last is None:
            lines.append(f"WARNING: no successful backup yet (schedule {settings.schedule.text})")
        elif now - last > allowed.total_seconds():
            limit = human_age(allowed.total_seconds())
            lines.append(f"WARNING: the last successful backup is {human_age(now - last)} old; "
                         f"schedule {settings.schedule.text} allows {limit}")  # fmt: skip
    return lines + verify_lines(found, settings, now)


def verify_lines(found: BackupListing, settings: BackupSettings, now: float) -> list[str]:
    """The last verify (`accessory verify` records it), and a warning when it failed, or with
    verify_every when none passed that recently."""
    at = found.verified_at
    if at is None:
        if settings.verify_every_seconds and found.backups:
            return [f"WARNING: no backup verified yet; verify_every "
                    f"{human_age(settings.verify_every_seconds)}: `dockyard accessory verify "
                    f"{settings.accessory}`"]  # fmt: skip
        return []
    if not found.verified:
        return [f"WARNING: the last verify failed {human_age(now - at)} ago: {found.verify_note}"]
    line = f"last verified {human_age(now - at)} ago: {found.verify_note}"
    every = settings.verify_every_seconds
    if every and now - at > every:
        return [line, f"WARNING: the last verify is overdue; verify_every {human_age(every)}: "
                f"`dockyard accessory verify {settings.accessory}`"]  # fmt: skip
    return [line]


async def backup_freshness(server: Server, actx: AccessoryContext) -> list[str]:
    """For `details`: the backup container's state, the last backup, and any warning."""
    settings = settings_of(actx)
    if settings is None:
        return []
    place = place_of(actx)
    state = await state_of(server, place.container)
    try:
        found = await read_listing(server, actx)
    except BackupError as error:
        return [f"backups: {place.container} {state or 'missing'}", f"WARNING: {error}"]
    now = time.time()
    latest = found.latest
    lines = [f"backups: {place.container} {state or 'missing'}; "
             + (f"latest {describe(latest, now)}" if latest else "none yet")]  # fmt: skip
    if state != "running" and settings.schedule:
        lines.append("WARNING: the backup container is not running; scheduled backups stop "
                     "(`accessory reboot` starts it)")  # fmt: skip
    return lines + freshness_lines(found, settings, now)
