"""`accessory verify` on the scripted transport, for every kind: the steps, then every step
failing. A failed verify leaves no throwaway container and no copy behind (or names what it
could not remove, with the command that does), and the accessory is never touched."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.backups import verify as verifying
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

COUNTS = "public.items 3\npublic.users 2\n"  # `schema.table rows`, as the dump and the copy say


class Tokens:
    """secrets.token_hex, the same in every run: the throwaway's name is part of each step."""

    @staticmethod
    def token_hex(n: int) -> str:
        return "ab" * n


class Clock:
    """time.time, the same in every run: the recorded result is part of a step."""

    @staticmethod
    def time() -> float:
        return 1_796_000_000.0


@pytest.fixture(autouse=True)
def fixed_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifying, "tokens", Tokens)
    monkeypatch.setattr(verifying, "time", Clock)


def maker(ctx: AccessoryContext) -> Callable[[], FakeTransport]:
    def make_fake() -> FakeTransport:
        fake = FakeTransport(default_timeout=30)
        with_backups(fake, ctx, encrypted=ctx.accessory.name == "sealed")
        counts = Reply(stdout=COUNTS)
        fake.first(lambda h, w: counts if "awk" in w or "gexec" in w else None)
        my_tables = Reply(stdout="SELECT 'items', COUNT(*) FROM `items`\n")  # the count query
        fake.first(lambda h, w: my_tables if "GROUP_CONCAT(CONCAT" in w else None)
        my_counts = Reply(stdout="public.items\t3\npublic.users\t2\n")  # what it counted
        fake.first(lambda h, w: my_counts if "COUNT(*) FROM `items`" in w else None)
        fake.first(lambda h, w: Reply(stdout="7\n") if "tar -tzf" in w else None)  # entries
        fake.first(lambda h, w: Reply(stdout="5\n") if "dbsize" in w else None)
        return fake

    return make_fake


def runner(ctx: AccessoryContext) -> Callable[[FakeTransport], Awaitable[object]]:
    async def run(fake: FakeTransport) -> object:
        return await verifying.verify(Server(fake, "10.0.0.1", ctx.engine), ctx, None)

    return run


def throwaway(ctx: AccessoryContext) -> str:
    return f"{ctx.name}-verify-abababab"


def leaves_nothing(ctx: AccessoryContext, steps: list[str]) -> Callable[..., str]:
    name = throwaway(ctx)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, ctx, "verify FAILED", "cannot list")
        if wrong:
            return wrong
        ran = fake.commands_on("10.0.0.1")
        started = next((i for i, s in enumerate(steps) if f"--name {name}" in s), 10**6)
        removal = f"docker rm --force --volumes {name}"
        removed = any(removal in s for s in ran[started + 1 :]) and removal not in failure.call.text
        if failure.index >= started and not removed and removal not in str(error):
            return f"the throwaway {name} is left behind, and the error does not say: {error}"
        for copy, made_by in ((".plain-", "openssl enc -d"), (".s3-", "s3.sh get")):
            made = next((i for i, s in enumerate(steps) if made_by in s), 10**6)
            if failure.index < made or (failure.index == made and failure.fault == "exit"):
                continue
            gone = any(s.startswith("rm -f") and copy in s for s in ran[made + 1 :])
            if not gone and copy not in str(error):
                return f"{copy} is left behind"
        if any(f"docker {verb} {ctx.name}" in s for s in ran for verb in ("stop", "start")):
            return "the accessory itself was touched"
        return ""

    return check


KINDS = {"pg": 9, "sealed": 12, "stored": 13, "my": 11, "cache": 8, "files": 6}


async def test_verify_loads_the_newest_backup_into_a_throwaway_and_removes_it(
    tmp_path: Path,
) -> None:
    pg = context(tmp_path, "pg")
    fake = maker(pg)()
    assert await runner(pg)(fake) == (
        f"{backup_file(pg)} verified: loaded into a throwaway Postgres; 2 table(s), 5 row(s) match"
    )
    assert [s.split(" sh -c ")[0][:40] for s in fake.commands_on("10.0.0.1")] == [
        'cd "$HOME/.dockyard/backups/shop-pg" 2>/',
        "if command -v openssl > /dev/null 2>&1; ",
        "docker run --detach --name shop-pg-verif",
        "i=0; until docker exec shop-pg-verify-ab",
        "docker exec shop-pg-verify-abababab",
        "docker exec shop-pg-verify-abababab pg_r",
        "echo 'SELECT format('\\''SELECT %L || '\\'",
        "docker rm --force --volumes shop-pg-veri",
        'cd "$HOME/.dockyard/backups/shop-pg" && ',  # the result, for `details`
    ]


@pytest.mark.parametrize("name", list(KINDS))
async def test_a_failing_verify_leaves_no_throwaway_and_no_copy(tmp_path: Path, name: str) -> None:
    ctx = context(tmp_path, name)
    steps = [step.text for step in await happy_path(maker(ctx), runner(ctx))]
    assert len(steps) == KINDS[name]
    check = leaves_nothing(ctx, steps)
    assert_none(await each_step_failing(maker(ctx), runner(ctx), check, None, faults_of))


async def test_each_verify_is_recorded_for_details_a_failed_one_as_failed(tmp_path: Path) -> None:
    pg = context(tmp_path, "pg")
    fake = maker(pg)()
    await runner(pg)(fake)
    record = f"'1796000000 ok {backup_file(pg)}' > .last-verify.tmp"
    assert record in fake.commands_on("10.0.0.1")[-1]
    broken = maker(pg)()
    broken.first(lambda h, w: Reply(1, "", "pg_restore: error: bad") if "pg_restore" in w else None)
    with pytest.raises(DockyardError) as raised:
        await runner(pg)(broken)
    last = broken.commands_on("10.0.0.1")[-1]
    assert f"'1796000000 failed {backup_file(pg)}: " in last and ".last-verify" in last
    assert "pg_restore: error: bad" in str(raised.value)
