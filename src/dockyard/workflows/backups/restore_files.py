"""Restore a Redis or a volume backup, with the accessory stopped for the swap of its files.

Redis: the accessory is stopped (it saves), its dump.rdb is kept as
`dump.rdb.before-restore-<stamp>`, the backup takes its place and the accessory starts again.
Volume: what the accessory's directories hold is archived aside beside the backups, then the
backup is unpacked in their place, and the accessory starts again.
"""

from __future__ import annotations

from dockyard.commands import backup as commands
from dockyard.commands.base import cmd
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.lifecycle import AccessoryContext
from dockyard.workflows.backups.backup import BackupError, place_of
from dockyard.workflows.backups.restore_common import stamp
from dockyard.workflows.server import Server


async def restore_redis(server: Server, actx: AccessoryContext, file: str) -> str:
    engine, container = actx.engine, actx.name
    place = place_of(actx)
    dir_out = await server.run(commands.redis_cli(engine, container, "CONFIG", "GET",
                                                           "dir"))  # fmt: skip
    lines = dir_out.stdout.split()
    data_dir = lines[1] if len(lines) > 1 else "/data"
    aof = (await server.run(commands.redis_cli(
        engine, container, "CONFIG", "GET", "appendonly"))).stdout.split()  # fmt: skip
    if len(aof) > 1 and aof[1] == "yes":
        raise BackupError(f"{server.host}: {actx.name} uses appendonly (AOF), which would win "
                          "over a "
                          "restored RDB file; nothing was changed")  # fmt: skip
    when = stamp()
    await server.run(cmd(engine.name, "stop", container))
    try:
        await server.run(commands.redis_restore_files(
            engine, actx.accessory.image, container, place, file, data_dir, when),
            timeout=UNBOUNDED)  # fmt: skip
    finally:
        await server.run(cmd(engine.name, "start", container))
    return (f"{file} restored into {actx.name}; the data before is kept as "
            f"{data_dir}/dump.rdb.before-restore-{when}")  # fmt: skip


async def restore_volume(server: Server, actx: AccessoryContext, file: str) -> str:
    """Stop the accessory, archive what its directories hold aside, unpack, start again."""
    engine, container, place = actx.engine, actx.name, place_of(actx)
    kept = f"{place.prefix}-before-restore-{stamp()}.tar.gz"
    where = ", ".join(place.settings.paths)
    await server.run(cmd(engine.name, "stop", container))
    try:
        restore = commands.volume_restore_files(
            engine, actx.accessory.image, container, place, file, kept
        )
        result = await server.run(restore, check=False, timeout=UNBOUNDED)
    finally:
        await server.run(cmd(engine.name, "start", container))
    if result.exit_status == 3:
        raise BackupError(f"{server.host}: {result.stderr.strip()} ({where})")
    if not result.ok:
        raise BackupError(
            f"{server.host}: unpacking {file} failed ({result.stderr.strip()[-200:]}); {where} "
            "may hold "
            f"part of it; what was there before is in {kept} beside the backups"
        )
    return f"{file} restored into {where}; what was there before is kept as {kept}"
