"""x-dockyard/backups: what is accepted, and the one-line errors for what is not."""

import pytest

from dockyard.backups.settings import backups_from_raw
from dockyard.errors import ConfigError


def settings(raw: dict[str, object], accessories: tuple[str, ...] = ("db", "cache")) -> object:
    return backups_from_raw({"x-dockyard": {"backups": raw}}, accessories)


def test_defaults_and_every_key() -> None:
    found = backups_from_raw(
        {"x-dockyard": {"backups": {
            "db": {"kind": "postgres", "schedule": "0 3 * * *", "keep": 14, "max_age": "30d",
                   "target": {"directory": "/var/backups/db/"}, "database": "app",
                   "user": "app"},
            "cache": {"kind": "redis"},
        }}},
        ("db", "cache"),
    )  # fmt: skip
    db, cache = found["db"], found["cache"]
    assert (db.kind, db.keep, db.max_age_seconds, db.directory) == (
        "postgres", 14, 30 * 86400, "/var/backups/db",
    )  # fmt: skip
    assert db.schedule is not None and db.schedule.text == "0 3 * * *"
    assert (db.database, db.user, db.extension) == ("app", "app", "pgdump")
    assert (cache.keep, cache.schedule, cache.directory, cache.extension) == (7, None, None, "rdb")


def test_volume_backups_name_their_directories() -> None:
    found = backups_from_raw(
        {"x-dockyard": {"backups": {"files": {"kind": "volume", "paths": ["/srv/up/", "/etc/x"]}}}},
        ("files",),
    )
    assert (found["files"].paths, found["files"].extension) == (("/srv/up", "/etc/x"), "tar.gz")


@pytest.mark.parametrize("kind", ["mysql", "mariadb"])
def test_mysql_and_mariadb_are_one_kind(kind: str) -> None:
    found = backups_from_raw({"x-dockyard": {"backups": {"db": {"kind": kind, "user": "app"}}}},
                             ("db",))  # fmt: skip
    assert (found["db"].kind, found["db"].extension, found["db"].user) == ("mysql", "sql", "app")


def test_no_section_is_no_backups() -> None:
    assert backups_from_raw({}, ("db",)) == {}


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"web": {"kind": "postgres"}}, "x-dockyard/backups/web", "no accessory named web"),
        ({"db": {"kind": "oracle"}}, "x-dockyard/backups/db/kind",
         "one of postgres, mysql, redis, volume (or mariadb)"),
        ({"db": {"kind": "postgres", "keep": 0}}, "x-dockyard/backups/db/keep", "at least 1"),
        ({"db": {"kind": "postgres", "schedule": "0 25 * * *"}},
         "x-dockyard/backups/db/schedule", "hour: 25 is outside 0-23"),
        ({"db": {"kind": "postgres", "schedule": 5}}, "x-dockyard/backups/db/schedule",
         "cron expression in quotes"),
        ({"db": {"kind": "postgres", "max_age": "2w"}}, "x-dockyard/backups/db/max_age",
         "like 90m, 12h or 30d"),
        ({"db": {"kind": "postgres", "target": {"directory": "backups"}}},
         "x-dockyard/backups/db/target/directory", "absolute path"),
        ({"db": {"kind": "postgres", "target": {"bucket": "b"}}},
         "x-dockyard/backups/db/target", "S3 targets are not built yet"),
        ({"db": {"kind": "postgres", "every": "day"}}, "x-dockyard/backups/db",
         "unknown key: every"),
        ({"db": "postgres"}, "x-dockyard/backups/db", "should be a map"),
        ({"db": {"kind": "redis", "encryption_key": "my key"}},
         "x-dockyard/backups/db/encryption_key", "the name of a secret"),
        ({"db": {"kind": "volume"}}, "x-dockyard/backups/db/paths", "should list the directories"),
        ({"db": {"kind": "volume", "paths": ["srv"]}}, "x-dockyard/backups/db/paths",
         "'srv' should be an absolute path"),
        ({"db": {"kind": "volume", "paths": ["/a b"]}}, "x-dockyard/backups/db/paths",
         "should be an absolute path"),
        ({"db": {"kind": "postgres", "paths": ["/a"]}}, "x-dockyard/backups/db/paths",
         "only for kind volume"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_key(raw: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(raw)
    assert caught.value.key == key
    assert message in caught.value.message
