"""Restore a Redis or a volume backup, with the accessory stopped for the swap of its files.

Redis: the accessory is stopped (it saves), its dump.rdb is kept as
`dump.rdb.before-restore-<stamp>`, the backup takes its place and the accessory starts again.
Volume: what the accessory's directories hold is archived aside beside the backups, then the
backup is unpacked in their place, and the accessory starts again.
"""

from __future__ import annotations

from dockyard.commands import backup as commands
from dockyard.commands.base import Cmd, cmd
from dockyard.errors import AccessoryError, DockyardError, Result
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext, told
from dockyard.workflows.backups.backup import BackupError, place_of
from dockyard.workflows.backups.copies import saying
from dockyard.workflows.backups.restore_common import stamp, tail
from dockyard.workflows.server import Server


async def restore_redis(server: Server, actx: AccessoryContext, file: str) -> str:
    engine, container = actx.engine, actx.name
    place = place_of(actx)
    async with saying(server, "nothing was changed"):
        dir_out = await server.run(commands.redis_cli(engine, container, "CONFIG", "GET", "dir"))
        aof = (await server.run(commands.redis_cli(
            engine, container, "CONFIG", "GET", "appendonly"))).stdout.split()  # fmt: skip
    lines = dir_out.stdout.split()
    data_dir = lines[1] if len(lines) > 1 else "/data"
    if len(aof) > 1 and aof[1] == "yes":
        raise BackupError(f"{server.host}: {actx.name} uses appendonly (AOF), which would win "
                          "over a restored RDB file; nothing was changed")  # fmt: skip
    when = stamp()
    kept = f"{data_dir}/dump.rdb.before-restore-{when}"
    swap = commands.redis_restore_files(engine, actx.accessory.image, container, place, file,
                                        data_dir, when)  # fmt: skip
    unknown = (
        f"{data_dir}/dump.rdb is as it was, or the backup's with the data before kept as {kept}"
    )
    result, left = await run_stopped(server, actx, swap, unknown)
    if not result.ok:
        raise BackupError(f"{server.host}: {file} did not replace {data_dir}/dump.rdb in "
                          f"{container} ({tail(result.stderr)}); the data before is as it was"
                          f"{left}")  # fmt: skip
    done = f"{file} restored into {actx.name}; the data before is kept as {kept}"
    if left:
        raise AccessoryError(f"{server.host}: {done}{left}")
    return done


async def restore_volume(server: Server, actx: AccessoryContext, file: str) -> str:
    """Stop the accessory, archive what its directories hold aside, unpack, start again."""
    engine, container, place = actx.engine, actx.name, place_of(actx)
    kept = f"{place.prefix}-before-restore-{stamp()}.tar.gz"
    where = ", ".join(place.settings.paths)
    restore = commands.volume_restore_files(
        engine, actx.accessory.image, container, place, file, kept
    )
    unknown = (f"{where} is as it was, or holds part of the backup with what was there before "
               f"in {kept} beside the backups")  # fmt: skip
    result, left = await run_stopped(server, actx, restore, unknown)
    if result.exit_status == 3:
        raise BackupError(f"{server.host}: {result.stderr.strip()} ({where} of {container}){left}")
    if not result.ok:
        raise BackupError(
            f"{server.host}: unpacking {file} into {container} failed "
            f"({result.stderr.strip()[-200:]}); {where} may hold part of it; what was there "
            f"before is in {kept} beside the backups{left}"
        )
    done = f"{file} restored into {where}; what was there before is kept as {kept}"
    if left:
        raise AccessoryError(f"{server.host}: {done}{left}")
    return done


async def run_stopped(
    server: Server, actx: AccessoryContext, step: Cmd, unknown: str
) -> tuple[Result, str]:
    """`step` with the accessory stopped, then started again whatever happened: (the step's
    result, "" or what to do as it did not start). A step cut off (the connection lost, no
    answer) raises, saying `unknown`: where the data may be."""
    try:
        await server.run(cmd(actx.engine.name, "stop", actx.name))
        result = await server.run(step, check=False, timeout=UNBOUNDED)
    except DockyardError as error:
        left = await start_again(server, actx)
        raise told(server, actx.accessory.name, "restoring", error, f"; {unknown}{left}") from error
    return result, await start_again(server, actx)


async def start_again(server: Server, actx: AccessoryContext) -> str:
    """Start the accessory; "" when it started, else what to do."""
    try:
        await server.run(cmd(actx.engine.name, "start", actx.name))
        return ""
    except DockyardError as error:
        cause = str(error).removeprefix(f"{server.host}: ")
        return (f"; {actx.name} did not start again ({cause}): `dockyard accessory start "
                f"{actx.accessory.name}`")  # fmt: skip
