"""`accessory backup` and `accessory backups` on the scripted transport: the exact steps, then
every step failing. A failed backup deletes nothing (the script keeps every earlier backup and
removes its own partial file; its e2e tests show that on real databases): after the fault no
step removes a file, and the error says what is kept, or, cut off, where the backup may still
be running and how to see whether it finished."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups import backup
from dockyard.workflows.server import Server
from tests.unit.workflows.accessory_world import (
    assert_none,
    backup_file,
    context,
    ends_cleanly,
    faults_of,
    with_backups,
)
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path

MADE = "shop-pg-20261203T030000Z.pgdump 52311\n"  # backup.sh's last line: the file and its size
KEY_FILE = '"$HOME/.kamal/apps/shop/env/accessories/stored-backup-key.env"'
S3_ENV = (
    "--env S3_URL=http://10.0.0.9:8333/backups --env S3_ENDPOINT=http://10.0.0.9:8333 "
    "--env S3_BUCKET=backups --env S3_KEY_PREFIX= --env S3_REGION=us-east-1"
)
WRITE_KEY = (
    'mkdir -p "$HOME/.kamal/apps/shop/env/accessories" && (umask 077 && cat > '
    '"$HOME/.kamal/apps/shop/env/accessories/stored-backup-key.env.tmp") && mv -f '
    '"$HOME/.kamal/apps/shop/env/accessories/stored-backup-key.env.tmp" '
    '"$HOME/.kamal/apps/shop/env/accessories/stored-backup-key.env"'
)


def maker(ctx: AccessoryContext) -> Callable[[], FakeTransport]:
    def make_fake() -> FakeTransport:
        fake = FakeTransport({"/dockyard/backup.sh": Reply(stdout=MADE)}, default_timeout=30)
        with_backups(fake, ctx)
        return fake

    return make_fake


def runner(
    ctx: AccessoryContext, step: Callable[[Server, AccessoryContext], Awaitable[object]]
) -> Callable[[FakeTransport], Awaitable[object]]:
    async def run(fake: FakeTransport) -> object:
        return await step(Server(fake, "10.0.0.1", ctx.engine), ctx)

    return run


@pytest.fixture
def pg(tmp_path: Path) -> AccessoryContext:
    return context(tmp_path, "pg")


@pytest.fixture
def stored(tmp_path: Path) -> AccessoryContext:
    return context(tmp_path, "stored")


async def test_a_backup_is_one_exec_of_the_scheduled_script(pg: AccessoryContext) -> None:
    fake = maker(pg)()
    assert (
        await runner(pg, backup.backup_now)(fake) == "shop-pg-20261203T030000Z.pgdump (52311 bytes)"
    )
    assert fake.commands_on("10.0.0.1") == ["docker exec shop-pg-backup sh /dockyard/backup.sh"]


async def test_a_backup_to_a_store_gives_the_exec_the_current_settings_and_keys(
    stored: AccessoryContext,
) -> None:
    fake = maker(stored)()
    await runner(stored, backup.backup_now)(fake)
    assert fake.commands_on("10.0.0.1") == [
        WRITE_KEY,
        f"docker exec {S3_ENV} --env-file {KEY_FILE} shop-stored-backup sh /dockyard/backup.sh",
    ]
    assert fake.inputs["10.0.0.1"][0] == (
        "DOCKYARD_S3_ACCESS_KEY_ID=key-id\nDOCKYARD_S3_SECRET_ACCESS_KEY=key-secret\n"
    )


def backup_check(ctx: AccessoryContext) -> Callable[..., str]:
    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, ctx, "backup of")
        if wrong:
            return wrong
        after = fake.commands_on("10.0.0.1")[failure.index + 1 :]
        if any(step.startswith("rm ") for step in after):
            return f"a file was removed after the fault: {after}"
        line = str(error)
        kept = "earlier backups are untouched" in line
        cut_off = "may still finish" in line and f"accessory backups {ctx.accessory.name}" in line
        return "" if kept or cut_off else f"it does not say what is kept: {line}"

    return check


@pytest.mark.parametrize("name", ["pg", "stored"])
async def test_a_failing_backup_keeps_every_earlier_one_and_says_so(
    tmp_path: Path, name: str
) -> None:
    ctx = context(tmp_path, name)
    steps = await happy_path(maker(ctx), runner(ctx, backup.backup_now))
    assert len(steps) == (1 if name == "pg" else 2)
    assert_none(
        await each_step_failing(
            maker(ctx), runner(ctx, backup.backup_now), backup_check(ctx), steps, faults_of
        )
    )


async def test_a_backup_container_that_is_gone_is_made_again_for_one_more_try(
    pg: AccessoryContext,
) -> None:
    fake = maker(pg)()
    tries = iter([Reply(1, "", "Error: No such container: shop-pg-backup"), Reply(stdout=MADE)])
    fake.first(lambda host, wire: next(tries) if "sh /dockyard/backup.sh" in wire else None)
    fake.first(lambda host, wire: Reply() if "^shop-pg-backup$" in wire else None)  # none
    assert (
        await runner(pg, backup.backup_now)(fake) == "shop-pg-20261203T030000Z.pgdump (52311 bytes)"
    )
    ran = [c.split(" --env")[0] for c in fake.commands_on("10.0.0.1")]
    assert ran[:3] == [
        "docker exec shop-pg-backup sh /dockyard/backup.sh",
        "docker ps --all --filter 'name=^shop-pg-backup$' --format '{{.Names}}\t{{.State}}'",
        'mkdir -p "$HOME/.dockyard/backups/shop-pg" "$HOME/.dockyard/accessories/shop-pg"',
    ]
    assert ran[-2:] == [
        "docker run --detach --restart unless-stopped --name shop-pg-backup --network kamal "
        "--user 0 --entrypoint /bin/sh",
        "docker exec shop-pg-backup sh /dockyard/backup.sh",
    ]


async def test_the_listing_reads_the_manifests_newest_first(
    pg: AccessoryContext, stored: AccessoryContext
) -> None:
    fake = maker(pg)()
    found = await runner(pg, backup.listing)(fake)
    assert [b.file for b in found.backups] == [  # type: ignore[attr-defined]
        backup_file(pg),
        "shop-pg-20261201T030000Z.pgdump",
    ]
    assert fake.commands_on("10.0.0.1") == [
        'cd "$HOME/.dockyard/backups/shop-pg" 2>/dev/null || exit 0; for f in '
        'shop-pg-*.pgdump.json; do [ -f "$f" ] && cat "$f"; done; for s in last-success '
        'last-failure last-verify; do [ -f .$s ] && echo "#$s $(cat .$s)"; done; true'
    ]
    fake = maker(stored)()
    await runner(stored, backup.listing)(fake)
    assert fake.commands_on("10.0.0.1")[0] == WRITE_KEY
    assert fake.commands_on("10.0.0.1")[1].startswith(
        "docker exec --env PREFIX=shop-stored --env EXT=pgdump --env KEEP=7 --env MAX_AGE= "
        f"{S3_ENV} --env-file {KEY_FILE} shop-stored-backup sh /dockyard/s3.sh list || exit $?; "
    )


@pytest.mark.parametrize("name", ["pg", "stored"])
async def test_a_failing_listing_names_host_accessory_and_cause(tmp_path: Path, name: str) -> None:
    ctx = context(tmp_path, name)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        return ends_cleanly(failure, error, ctx, "cannot list the backups")

    run = runner(ctx, backup.listing)
    assert_none(await each_step_failing(maker(ctx), run, check))
