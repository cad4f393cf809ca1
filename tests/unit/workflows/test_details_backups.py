"""Top-level `details` of an app whose accessory has backups, on scripted servers: the exact steps
(the listing, the backup container's state, the backups' listing), the accessory's row with the
warnings `accessory details` gives (a failed or overdue verify, a failed backup), and every step
failing: a backup step's failure is a warning on the row (details goes on), any other ends with
one line naming the host and the cause.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dockyard.plan.overview import ContainerDetail
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.app import overview
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import DEFAULT_TIMEOUT, fast_waits, transcript
from tests.unit.workflows.peers import FakeApps
from tests.unit.workflows.test_entry_point_failures import one_line_naming_host_and_cause
from tests.unit.workflows.test_logs_details_remove import APP, LISTING_1, session_on

BACKUPS = """x-dockyard:
  backups:
    cache: {kind: redis, schedule: "0 3 * * *", verify_every: 1d}
"""
BACKED_UP = APP + BACKUPS
EXPECTED = Path(__file__).parent / "expected" / "details-backups.txt"
BACKUP_STEPS = ("name=^demo-cache-backup$", "for s in last-success")
MANIFEST = (
    '{"file": "demo-cache-20261204T030000Z.rdb", "kind": "redis", "size": 10, '
    '"sha256": "ab", "created": %d}'
)


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


def backed_up(verify: str, *, ago: int = 7200) -> FakeTransport:
    """LISTING_1's host, with demo-cache-backup running and one good backup 100 s old; the last
    verify recorded `ago` seconds ago as `verify` (ok FILE, or failed FILE: why)."""
    now = int(time.time())
    listing = "\n".join([MANIFEST % (now - 100), f"#last-success {now - 100} demo-cache-x.rdb",
                         f"#last-verify {now - ago} {verify}"]) + "\n"  # fmt: skip
    return FakeTransport(
        {
            "ps --all --quiet": LISTING_1,
            BACKUP_STEPS[0]: Reply(stdout="demo-cache-backup\trunning\n"),
            BACKUP_STEPS[1]: Reply(stdout=listing),
        },
        open_tcp=FakeApps().open,
        default_timeout=DEFAULT_TIMEOUT,
    )


def cache_row_warnings(fake: FakeTransport, root: Path) -> tuple[str, ...]:
    found = overview.details(session_on(fake, root, app=BACKED_UP))
    cache = next(r for r in found["10.0.0.1"] if r.kind == "accessory")
    return cache.warnings


def test_a_failed_verify_is_a_warning_on_the_accessory_s_row(tmp_path: Path) -> None:
    fake = backed_up("failed demo-cache-x.rdb: redis-check-rdb rejects it")
    assert cache_row_warnings(fake, tmp_path) == (
        "WARNING: the last verify failed 2h ago: demo-cache-x.rdb: redis-check-rdb rejects it",
    )
    assert transcript(fake) == EXPECTED.read_text()


def test_an_overdue_verify_is_a_warning_and_a_recent_pass_none(tmp_path: Path) -> None:
    overdue = backed_up("ok demo-cache-x.rdb", ago=3 * 86400)
    assert cache_row_warnings(overdue, tmp_path) == (
        "WARNING: the last verify is overdue; verify_every 24h: `dockyard accessory verify cache`",
    )
    assert cache_row_warnings(backed_up("ok demo-cache-x.rdb"), tmp_path) == ()


async def test_every_step_failing_is_a_warning_or_one_line_naming_host_and_cause(
    tmp_path: Path,
) -> None:
    def make() -> FakeTransport:
        return backed_up("ok demo-cache-x.rdb")

    found: list[dict[str, list[ContainerDetail]]] = []

    def details() -> object:
        found.append(overview.details(session_on(fake_of[-1], tmp_path, app=BACKED_UP)))
        return found[-1]

    fake_of: list[FakeTransport] = []

    async def run(fake: FakeTransport) -> object:
        fake_of.append(fake)
        return await asyncio.to_thread(details)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if error is None and "172.18.0.4:3000" in failure.call.text:
            return ""  # a probe that fails: unhealthy, and said so
        if any(step in failure.call.text for step in BACKUP_STEPS):
            if error is not None:
                return f"details failed at a backup step: {error}"
            rows = found[-1][failure.call.host]
            cache = next(r for r in rows if r.kind == "accessory")
            said = "WARNING: cannot read the backups of cache: "
            if cache.warnings and cache.warnings[0].startswith(said):
                return ""
            return f"{failure.fault} at {failure.call.text[:60]}: not said: {cache.warnings}"
        return one_line_naming_host_and_cause(failure, error)

    steps = await happy_path(make, run)
    assert [s.text for s in steps if any(b in s.text for b in BACKUP_STEPS)], "no backup step"
    assert await each_step_failing(make, run, check, steps) == []
