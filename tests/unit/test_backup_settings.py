"""x-dockyard/backups: what is accepted, and the one-line errors for what is not."""

import pytest

from dockyard.commands.backup_s3 import s3_env
from dockyard.config.backups import S3Target, parse_backups
from dockyard.errors import ConfigError

S3 = {"endpoint": "http://10.0.0.5:8333", "bucket": "backups", "access_key_id": "S3_KEY_ID",
      "secret_access_key": "S3_SECRET"}  # fmt: skip


def test_an_s3_target_with_its_defaults_and_every_key() -> None:
    found = settings({
        "db": {"kind": "postgres", "encryption_key": "BACKUP_KEY", "target": {"s3": S3}},
        "cache": {"kind": "redis", "target": {"directory": "/srv/stage", "s3": {
            **S3, "endpoint": "https://s3.example.com/", "prefix": "shop/cache",
            "region": "eu-central-1", "path_style": False}}},
    })  # fmt: skip
    assert isinstance(found, dict)
    db, cache = found["db"].s3, found["cache"].s3
    assert (db.endpoint, db.bucket, db.prefix, db.region, db.path_style) == (
        "http://10.0.0.5:8333", "backups", "", "us-east-1", True,
    )  # fmt: skip
    assert db.base_url == "http://10.0.0.5:8333/backups"
    assert found["db"].secret_names == ("BACKUP_KEY", "S3_KEY_ID", "S3_SECRET")
    assert (cache.endpoint, cache.prefix, cache.region) == (
        "https://s3.example.com", "shop/cache/", "eu-central-1",
    )  # fmt: skip
    assert cache.base_url == "https://backups.s3.example.com"  # virtual-hosted
    assert found["cache"].directory == "/srv/stage"  # where the backup is made before upload
    assert found["cache"].secret_names == ("S3_KEY_ID", "S3_SECRET")


def settings(raw: dict[str, object], accessories: tuple[str, ...] = ("db", "cache")) -> object:
    return parse_backups(raw, accessories)


def test_defaults_and_every_key() -> None:
    found = parse_backups(
        {
            "db": {"kind": "postgres", "schedule": "0 3 * * *", "keep": 14, "max_age": "30d",
                   "target": {"directory": "/var/backups/db/"}, "database": "app",
                   "user": "app"},
            "cache": {"kind": "redis"},
        },
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
    found = parse_backups(
        {"files": {"kind": "volume", "paths": ["/srv/up/", "/etc/x"]}}, ("files",)
    )
    assert (found["files"].paths, found["files"].extension) == (("/srv/up", "/etc/x"), "tar.gz")


@pytest.mark.parametrize("kind", ["mysql", "mariadb"])
def test_mysql_and_mariadb_are_one_kind(kind: str) -> None:
    found = parse_backups({"db": {"kind": kind, "user": "app"}}, ("db",))
    assert (found["db"].kind, found["db"].extension, found["db"].user) == ("mysql", "sql", "app")


def test_no_section_is_no_backups() -> None:
    assert parse_backups(None, ("db",)) == {}


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
         "x-dockyard/backups/db/target", "unknown key: bucket (known: directory, s3)"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "endpoint": "s3.example.com"}}}},
         "x-dockyard/backups/db/target/s3/endpoint", "http(s)://host[:port]"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "endpoint": "http://h/x"}}}},
         "x-dockyard/backups/db/target/s3/endpoint", "http(s)://host[:port]"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "bucket": "B_1"}}}},
         "x-dockyard/backups/db/target/s3/bucket", "3-63 of a-z"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "prefix": "/abs"}}}},
         "x-dockyard/backups/db/target/s3/prefix", "no leading /"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "region": "US East"}}}},
         "x-dockyard/backups/db/target/s3/region", "like us-east-1"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "path_style": "yes"}}}},
         "x-dockyard/backups/db/target/s3/path_style", "true or false"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "secret_access_key": None}}}},
         "x-dockyard/backups/db/target/s3/secret_access_key", "is required"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "access_key_id": "AKIA/x"}}}},
         "x-dockyard/backups/db/target/s3/access_key_id", "the name of a secret"),
        ({"db": {"kind": "postgres", "target": {"s3": {**S3, "acl": "private"}}}},
         "x-dockyard/backups/db/target/s3", "unknown key: acl"),
        ({"db": {"kind": "postgres", "target": {"s3": "s3://bucket"}}},
         "x-dockyard/backups/db/target/s3", "should be a map"),
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


STORAGE = "x-dockyard/backups/db/target/s3/"


def test_a_storage_class_goes_with_the_upload_or_to_backups_that_old() -> None:
    found = settings({
        "db": {"kind": "postgres", "target": {"s3": {**S3, "storage_class": "GLACIER_IR"}}},
        "cache": {"kind": "redis", "target": {"s3": {
            **S3, "storage_class": "STANDARD_IA", "storage_class_after": "30d"}}},
    })  # fmt: skip
    assert isinstance(found, dict)
    db, cache = found["db"].s3, found["cache"].s3
    assert (db.storage_class, db.storage_class_after) == ("GLACIER_IR", None)
    assert s3_env(db)["S3_UPLOAD_CLASS"] == "GLACIER_IR" and "S3_CLASS_AFTER" not in s3_env(db)
    assert (cache.storage_class, cache.storage_class_after) == ("STANDARD_IA", 30 * 86400)
    env = s3_env(cache)
    assert (env["S3_STORAGE_CLASS"], env["S3_CLASS_AFTER"]) == ("STANDARD_IA", "2592000")
    assert "S3_UPLOAD_CLASS" not in env
    plain = S3Target("http://s", "backups", "A", "B")
    assert not {"S3_UPLOAD_CLASS", "S3_STORAGE_CLASS"} & set(s3_env(plain))  # none sent


@pytest.mark.parametrize(("s3", "key", "message"), [
    ({"storage_class": "GLACIER"}, "storage_class",
     "should be one of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR (a "
     "restore could not read it before an S3 restore request)"),
    ({"storage_class": "COLD"}, "storage_class", "should be one of STANDARD, STANDARD_IA, "
     "ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR"),
    ({"storage_class_after": "7d"}, "storage_class_after",
     "needs storage_class: the class older backups move to"),
    ({"storage_class": "STANDARD_IA", "storage_class_after": "7"}, "storage_class_after",
     "should be a positive age like 90m, 12h or 30d"),
])  # fmt: skip
def test_a_storage_class_a_restore_cannot_read_at_once_is_refused(
    s3: dict[str, str], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings({"db": {"kind": "postgres", "target": {"s3": {**S3, **s3}}}})
    assert (caught.value.key, caught.value.message) == (STORAGE + key, message)
