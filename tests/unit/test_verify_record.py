"""The last `accessory verify` result, recorded on the server (.last-verify), read back by the
listing, and the lines `details` and `accessory backups` show for it: the last verify, and a
warning when it failed, or (verify_every) when none passed that recently."""

from __future__ import annotations

from dockyard.config.backups import BackupSettings
from dockyard.facts.backup import BackupEntry, BackupListing, parse_listing
from dockyard.workflows.backups.backup import verify_lines

DAY = 86400
NOW = 1_800_000_000
BACKUP = BackupEntry("shop-db-1.pgdump", "postgres", 10, "ab", NOW - DAY)
WEEKLY = BackupSettings("db", "postgres", verify_every_seconds=7 * DAY)


def listing(line: str) -> BackupListing:
    found = parse_listing(line)
    return BackupListing((BACKUP,), verified_at=found.verified_at, verified=found.verified,
                         verify_note=found.verify_note)  # fmt: skip


def test_the_record_is_read_from_the_listing() -> None:
    found = parse_listing(f"#last-verify {NOW} failed shop-db-1.pgdump: 2 row(s) differ\n")
    assert (found.verified_at, found.verified) == (NOW, False)
    assert found.verify_note == "shop-db-1.pgdump: 2 row(s) differ"
    assert parse_listing("#last-success 5 x\n").verified_at is None


def test_a_passed_verify_is_shown_and_is_overdue_after_verify_every() -> None:
    passed = listing(f"#last-verify {NOW - 2 * DAY} ok shop-db-1.pgdump")
    assert verify_lines(passed, WEEKLY, NOW) == ["last verified 2d ago: shop-db-1.pgdump"]
    assert verify_lines(passed, WEEKLY, NOW + 6 * DAY) == [
        "last verified 8d ago: shop-db-1.pgdump",
        "WARNING: the last verify is overdue; verify_every 7d: `dockyard accessory verify db`",
    ]
    no_limit = BackupSettings("db", "postgres")
    assert verify_lines(passed, no_limit, NOW + 60 * DAY) == [
        "last verified 62d ago: shop-db-1.pgdump"]  # fmt: skip


def test_a_failed_verify_is_a_warning_whatever_verify_every() -> None:
    failed = listing(f"#last-verify {NOW - 3600} failed shop-db-1.pgdump: rows differ")
    for settings in (WEEKLY, BackupSettings("db", "postgres")):
        assert verify_lines(failed, settings, NOW) == [
            "WARNING: the last verify failed 60m ago: shop-db-1.pgdump: rows differ"]  # fmt: skip


def test_never_verified_is_a_warning_only_with_verify_every_and_a_backup() -> None:
    never = "WARNING: no backup verified yet; verify_every 7d: `dockyard accessory verify db`"
    assert verify_lines(BackupListing((BACKUP,)), WEEKLY, NOW) == [never]
    assert verify_lines(BackupListing(()), WEEKLY, NOW) == []
    assert verify_lines(BackupListing((BACKUP,)), BackupSettings("db", "postgres"), NOW) == []
