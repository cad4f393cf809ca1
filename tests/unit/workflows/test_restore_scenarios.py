"""`accessory restore` on the scripted transport, for every kind: the steps, then every step
failing. A failed restore leaves the data that was there, or keeps it aside and names where;
the copies it made (a download from the store, a decrypted file, a database loaded beside the
live one) are removed; an accessory stopped for the swap of its files is started again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups.restore import restore
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

NOW = time.struct_time((2026, 12, 3, 9, 0, 0, 3, 337, 0))  # the stamp of what is kept aside
MY_TABLES = 'NULL\nutf8mb4 utf8mb4_general_ci\n0\n["items", "users"]\n'  # no session, 2 tables
MY_VIEWS = 'NULL\nutf8mb4 utf8mb4_general_ci\n2\n["items", "users"]\n'  # and 2 views: dumped
Check = Callable[[Failure, FakeTransport, BaseException | None], str]

# where a failed restore may say the data before is
KEPT = ("is as it was", "nothing was changed", "put back", "is kept as", "kept as", "before is in")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same names for what is kept aside in every run of a scenario."""
    monkeypatch.setattr(time, "gmtime", lambda *seconds: NOW)


def maker(ctx: AccessoryContext, asked: str = MY_TABLES) -> Callable[[], FakeTransport]:
    def make_fake() -> FakeTransport:
        fake = FakeTransport({"information_schema.PROCESSLIST": Reply(stdout=asked)})
        fake.default_timeout = 30
        with_backups(fake, ctx, encrypted=ctx.accessory.name == "sealed")
        fake.first(lambda h, w: Reply(stdout="dir\n/data\n") if "GET dir" in w else None)
        fake.first(lambda h, w: Reply(stdout="appendonly\nno\n") if "appendonly" in w else None)
        return fake

    return make_fake


def runner(ctx: AccessoryContext) -> Callable[[FakeTransport], Awaitable[object]]:
    async def run(fake: FakeTransport) -> object:
        return await restore(Server(fake, "10.0.0.1", ctx.engine), ctx, None, False)

    return run


def index_of(fake_or_steps: list[str], text: str) -> int:
    return next((i for i, step in enumerate(fake_or_steps) if text in step), 10**6)


def after(fake: FakeTransport, failure: Failure) -> list[str]:
    return fake.commands_on("10.0.0.1")[failure.index + 1 :]


def restore_check(
    ctx: AccessoryContext,
    steps: list[str],
    *rules: Check,
    causes: tuple[str, ...] = (),
    retried: str = "",
) -> Check:
    """One line naming host, accessory and cause (or one of `causes`: what the workflow made of
    an exit), saying where the data before is; then `rules`. A step containing `retried` that
    exits non-zero is tried again (or another way), so the restore may succeed."""

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if error is None and retried and retried in failure.call.text and failure.fault == "exit":
            return ""
        wrong = ends_cleanly(failure, error, ctx, *causes)
        if wrong:
            return wrong
        if not any(phrase in str(error) for phrase in KEPT):
            return f"it does not say where the data before is: {error}"
        return next((found for rule in rules if (found := rule(failure, fake, error))), "")

    return check


def removes(copy: str, made_by: str, steps: list[str]) -> Check:
    """The copy `made_by` a step is removed after it was made, however the run failed (a step
    that made it and exited non-zero removed its partial file itself)."""

    def rule(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        made = index_of(steps, made_by)
        if failure.index < made or (failure.index == made and failure.fault == "exit"):
            return ""
        ran = fake.commands_on("10.0.0.1")
        gone = any(s.startswith("rm -f") and copy in s for s in ran[made + 1 :])
        return "" if gone else f"{copy} is left behind"

    return rule


def starts_again(container: str, steps: list[str]) -> Check:
    def rule(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if failure.index < index_of(steps, f"docker stop {container}"):
            return ""
        if f"docker start {container}" in failure.call.text:
            return "" if "did not start again" in str(error) else f"it does not say: {error}"
        started = f"docker start {container}" in after(fake, failure)
        return "" if started else f"{container} is left stopped"

    return rule


async def scenario(ctx: AccessoryContext, make_fake: Callable[[], FakeTransport]) -> list[str]:
    steps = await happy_path(make_fake, runner(ctx))
    return [step.text for step in steps]


async def test_postgres_loads_beside_the_live_database_then_swaps(tmp_path: Path) -> None:
    pg = context(tmp_path, "pg")
    fake = maker(pg)()
    done = await runner(pg)(fake)
    assert done == (
        f"{backup_file(pg)} restored into shop; the data before is kept as database "
        "shop__before_restore_20261203090000"
    )
    psql = "docker exec shop-pg psql -X -q -At -v ON_ERROR_STOP=1 -U shop -d postgres -c "
    assert fake.commands_on("10.0.0.1") == [
        'cd "$HOME/.dockyard/backups/shop-pg" 2>/dev/null || exit 0; for f in '
        'shop-pg-*.pgdump.json; do [ -f "$f" ] && cat "$f"; done; for s in last-success '
        'last-failure last-verify; do [ -f .$s ] && echo "#$s $(cat .$s)"; done; true',
        psql + "'DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM pg_stat_activity WHERE "
        "datname = '\"'\"'shop'\"'\"' AND pid <> pg_backend_pid() AND application_name <> "
        "'\"'\"'pg_dump'\"'\"'; IF n > 0 AND NOT false THEN RAISE EXCEPTION '\"'\"'dockyard: % "
        "session(s) connected'\"'\"', n; END IF; END $$' -c 'DROP DATABASE IF EXISTS "
        '"shop__restoring"\' -c \'CREATE DATABASE "shop__restoring"\'',
        "if command -v openssl > /dev/null 2>&1; then nice -n 19 openssl dgst -sha256 -r "
        f'"$HOME/.dockyard/backups/shop-pg/{backup_file(pg)}"; else nice -n 19 sha256sum '
        f'"$HOME/.dockyard/backups/shop-pg/{backup_file(pg)}"; fi',
        "docker exec -i shop-pg pg_restore --exit-on-error --no-owner --no-acl -U shop -d "
        f'shop__restoring < "$HOME/.dockyard/backups/shop-pg/{backup_file(pg)}"',
        psql + "'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
        "'\"'\"'shop'\"'\"' AND pid <> pg_backend_pid()' -c 'ALTER DATABASE \"shop\" RENAME TO "
        '"shop__before_restore_20261203090000"; ALTER DATABASE "shop__restoring" RENAME TO '
        '"shop"\'',
    ]


def drops_the_loaded_copy(steps: list[str]) -> Check:
    """Before the swap, the live database is as it was and the one loaded beside it goes; a
    swap cut off says where each database is."""

    def rule(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        swap = index_of(steps, "RENAME TO")
        if failure.index == swap:
            said = "shop__restoring" in str(error) and "either" in str(error)
            return "" if said or failure.fault == "exit" else f"it does not say which: {error}"
        if failure.index <= index_of(steps, "CREATE DATABASE") or failure.index > swap:
            return ""
        dropped = any(
            'DROP DATABASE IF EXISTS "shop__restoring"' in s for s in after(fake, failure)
        )
        return "" if dropped else "the database loaded beside the live one is left"

    return rule


@pytest.mark.parametrize("name", ["pg", "sealed", "stored"])
async def test_a_failing_postgres_restore_leaves_the_live_database_as_it_was(
    tmp_path: Path, name: str
) -> None:
    ctx = context(tmp_path, name)
    steps = await scenario(ctx, maker(ctx))
    assert len(steps) == {"pg": 5, "sealed": 8, "stored": 9}[name]
    rules = [drops_the_loaded_copy(steps)]
    if name == "sealed":
        rules.append(removes(".plain-", "openssl enc -d", steps))
    if name == "stored":
        rules.append(removes(".s3-", "s3.sh get", steps))
    check = restore_check(ctx, steps, *rules, retried="RENAME TO")  # the swap is tried again
    assert_none(await each_step_failing(maker(ctx), runner(ctx), check, None, faults_of))


@pytest.mark.parametrize("asked", [MY_TABLES, MY_VIEWS], ids=["tables-moved", "dumped-aside"])
async def test_a_failing_mysql_restore_puts_the_data_back_or_says_where_it_is(
    tmp_path: Path, asked: str
) -> None:
    my = context(tmp_path, "my")
    steps = await scenario(my, maker(my, asked))
    firsts = [s.split(" sh -c ")[0][:40] for s in steps]
    assert firsts == [
        'cd "$HOME/.dockyard/backups/shop-my" 2>/',
        "if command -v openssl > /dev/null 2>&1; ",
        'tail -c 200 "$HOME/.dockyard/backups/sho',
        "docker exec shop-my",
        *(
            ["docker exec shop-my"]
            if asked == MY_TABLES
            else ["{ docker exec shop-my", "docker exec shop-my"]
        ),
        "docker exec -i shop-my",
    ]
    # a RENAME TABLE that fails changed nothing (it is atomic): the data is dumped aside instead
    check = restore_check(my, steps, causes=("is incomplete",), retried="RENAME TABLE `shop`")
    assert_none(await each_step_failing(maker(my, asked), runner(my), check, None, faults_of))


@pytest.mark.parametrize("name", ["cache", "files"])
async def test_a_failing_redis_or_volume_restore_starts_the_accessory_again(
    tmp_path: Path, name: str
) -> None:
    ctx = context(tmp_path, name)
    steps = await scenario(ctx, maker(ctx))
    firsts = [s[:40] for s in steps]
    redis_cli = "docker exec shop-cache sh -c '[ -z \"${RE"
    assert firsts == [
        f'cd "$HOME/.dockyard/backups/shop-{name}" 2>'[:40],
        "if command -v openssl > /dev/null 2>&1; ",
        *([redis_cli, redis_cli] if name == "cache" else []),
        f"docker stop shop-{name}",
        "docker run --rm --user 0 --entrypoint /b",
        f"docker start shop-{name}",
    ]
    check = restore_check(ctx, steps, starts_again(f"shop-{name}", steps))
    assert_none(await each_step_failing(maker(ctx), runner(ctx), check, None, faults_of))
