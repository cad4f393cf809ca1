"""Parsing backup listings and row counts, and comparing what a dump recorded with a restore."""

from dockyard.facts.backup import (
    count_differences,
    human_age,
    human_size,
    parse_listing,
    parse_table_counts,
)

LISTING = """\
{"file": "shop-db-20261122T101500Z.pgdump", "kind": "postgres", "size": 4737, "sha256": "ab", "created": 1795342500}
{"file": "shop-db-20261122T111500Z.pgdump", "kind": "postgres", "size": 5120, "sha256": "cd", "created": 1795346100}
{"file": "shop-db-20261122T121500Z.pgdump", "kind": "postgres", "size": 51
#last-success 1795346100 shop-db-20261122T111500Z.pgdump
#last-failure 1795349700 pg_dump: error: connection refused
"""  # noqa: E501


def test_listing_newest_first_and_a_broken_manifest_is_skipped() -> None:
    found = parse_listing(LISTING)
    assert [b.file for b in found.backups] == [
        "shop-db-20261122T111500Z.pgdump", "shop-db-20261122T101500Z.pgdump",
    ]  # fmt: skip
    assert found.latest is not None and found.latest.size == 5120
    assert found.last_success == 1795346100
    assert (found.last_failure, found.failure_message) == (
        1795349700, "pg_dump: error: connection refused",
    )  # fmt: skip
    assert found.find("shop-db-20261122T101500Z.pgdump") is not None
    assert found.find("nope") is None


def test_empty_listing() -> None:
    found = parse_listing("")
    assert found.latest is None and found.last_success is None


def test_counts_and_differences() -> None:
    recorded = parse_table_counts('public.orders 5000\npublic."Odd Name" 3\n')
    assert recorded == {"public.orders": 5000, 'public."Odd Name"': 3}
    assert count_differences(recorded, dict(recorded)) == []
    assert count_differences(recorded, {"public.orders": 4999}) == [
        'table public."Odd Name" is missing after the restore',
        "public.orders: 4999 rows restored, the dump has 5000",
    ]


def test_human_units() -> None:
    assert (human_size(512), human_size(4737), human_size(300 * 1024 * 1024)) == (
        "512 B", "4.6 KB", "300.0 MB",
    )  # fmt: skip
    assert (human_age(59), human_age(600), human_age(3 * 3600), human_age(3 * 86400)) == (
        "59s", "10m", "3h", "3d",
    )  # fmt: skip
