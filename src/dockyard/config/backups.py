"""Backup settings of accessories, from `x-dockyard: backups: <accessory>: {...}` (pure).

    x-dockyard:
      backups:
        db:                          # an accessory's name
          kind: postgres             # postgres | mysql (or mariadb) | redis | volume
          schedule: "0 3 * * *"      # cron syntax (UTC); none: only `accessory backup`
          keep: 7                    # newest backups kept (default 7)
          max_age: 30d               # also delete backups older than this (m, h, d); optional
          target:
            directory: /var/backups/db   # default ~/.dockyard/backups/<accessory service>
            s3:                          # optional: an S3-compatible store gets each backup
              endpoint: https://s3.example.com   # the directory is then only where a backup
              bucket: backups                    # is made and checked before the upload
              prefix: shop/db/           # optional
              region: us-east-1          # default us-east-1
              access_key_id: S3_ACCESS_KEY_ID          # secrets, by name
              secret_access_key: S3_SECRET_ACCESS_KEY
              path_style: true           # default true (self-hosted stores); false: virtual-hosted
          database: app              # postgres: default POSTGRES_DB, else POSTGRES_USER;
                                     # mysql: default MARIADB_DATABASE, else MYSQL_DATABASE
          user: app                  # postgres: default POSTGRES_USER, else postgres;
                                     # mysql: default root
          paths: [/var/lib/app]      # volume: directories in the accessory's container
          encryption_key: BACKUP_KEY # a secret: backups are encrypted (openssl AES-256-CBC,
                                     # PBKDF2) before they touch the disk

The credentials are the accessory's own env (POSTGRES_PASSWORD; MARIADB_ROOT_PASSWORD or
MYSQL_ROOT_PASSWORD, or MARIADB_PASSWORD or MYSQL_PASSWORD for another user; REDIS_PASSWORD):
the backup container gets the accessory's env file. Kamal ignores `x-` keys, so the config
stays Kamal's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.config.cron import CronSchedule, parse_cron
from dockyard.config.schema_backups import BACKUP, BACKUP_S3, BACKUP_TARGET, KIND_ALIASES
from dockyard.errors import ConfigError

# Key names, kinds and defaults come from the schema `dockyard docs` shows (schema_backups).
KEYS = tuple(BACKUP)
TARGET_KEYS = tuple(BACKUP_TARGET)
S3_KEYS = tuple(BACKUP_S3)
ALIASES = KIND_ALIASES  # one kind, both names Kamal users write
KINDS = tuple(kind for kind in BACKUP["kind"][3].split("|") if kind not in ALIASES)
DEFAULT_KEEP = int(BACKUP["keep"][2])
DEFAULT_REGION = BACKUP_S3["region"][2]
DEFAULT_PATH_STYLE = BACKUP_S3["path_style"][2] == "true"
_ENDPOINT = re.compile(r"\Ahttps?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?\Z")
_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_PREFIX = re.compile(r"\A[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?\Z")
_REGION = re.compile(r"\A[a-z0-9-]{1,40}\Z")
_AGE = re.compile(r"\A(\d+)([mhd])\Z")
_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400}
EXTENSIONS = {"postgres": "pgdump", "mysql": "sql", "redis": "rdb", "volume": "tar.gz"}
STORAGE_CLASSES = tuple(BACKUP_S3["storage_class"][3].split("|"))
_SAFE_PATH = re.compile(r"\A(/[A-Za-z0-9._-]+)+\Z")


@dataclass(frozen=True)
class S3Target:
    """An S3-compatible store; the credentials are names of secrets."""

    endpoint: str  # scheme://host[:port], no trailing slash
    bucket: str
    access_key_id: str
    secret_access_key: str
    prefix: str = ""  # "" or ending in "/"
    region: str = DEFAULT_REGION
    path_style: bool = DEFAULT_PATH_STYLE
    storage_class: str = ""  # "": the store's default
    storage_class_after: int | None = None  # seconds; None: the class is given at upload

    @property
    def base_url(self) -> str:
        """The bucket's URL: path-style `endpoint/bucket`, else `scheme://bucket.host`."""
        if self.path_style:
            return f"{self.endpoint}/{self.bucket}"
        scheme, _, host = self.endpoint.partition("://")
        return f"{scheme}://{self.bucket}.{host}"


@dataclass(frozen=True)
class BackupSettings:
    accessory: str
    kind: str
    schedule: CronSchedule | None = None
    keep: int = DEFAULT_KEEP
    max_age_seconds: int | None = None
    directory: str | None = None  # absolute; None: the default under the home
    database: str | None = None
    user: str | None = None
    paths: tuple[str, ...] = ()  # volume: directories in the accessory's container
    encryption_key: str | None = None  # the name of a secret; backups are AES-256 encrypted
    s3: S3Target | None = None  # where backups go, when set (the directory is then staging)
    verify_every_seconds: int | None = None  # `details` warns when no verify is this recent

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.kind]

    @property
    def verify_after_seconds(self) -> int | None:
        """With a schedule and verify_every, a Postgres backup is verified on the server after a
        scheduled backup once the last passing verify is this old (verify_every less the
        schedule's longest gap and 10 minutes, so that a verify passes within every
        verify_every); None: only `accessory verify` verifies."""
        every = self.verify_every_seconds
        if self.kind != "postgres" or self.schedule is None or every is None:
            return None
        gap = int(self.schedule.longest_gap().total_seconds())
        return max(0, every - gap - 600)

    @property
    def secret_names(self) -> tuple[str, ...]:
        """The secrets the backup container needs: the encryption key, the store's keys."""
        names = [self.encryption_key] if self.encryption_key else []
        if self.s3:
            names += [self.s3.access_key_id, self.s3.secret_access_key]
        return tuple(names)


def parse_backups(section: Any, accessories: tuple[str, ...]) -> dict[str, BackupSettings]:
    """The `x-dockyard/backups` section as accessory name -> BackupSettings; ConfigError with
    the key path for anything wrong."""
    section = section or {}
    path = "x-dockyard/backups"
    if not isinstance(section, Mapping):
        raise ConfigError("should be a map of accessory names to backup settings", key=path)
    found: dict[str, BackupSettings] = {}
    for name, raw in section.items():
        name = str(name)
        if name not in accessories:
            known = ", ".join(accessories) or "none"
            raise ConfigError(
                f"no accessory named {name} (accessories: {known})", key=f"{path}/{name}"
            )
        found[name] = backup_settings(name, raw, f"{path}/{name}")
    return found


def backup_settings(name: str, raw: Any, path: str) -> BackupSettings:
    if not isinstance(raw, Mapping):
        raise ConfigError("should be a map (kind, schedule, keep, max_age, target)", key=path)
    unknown = [str(k) for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(f"unknown key: {unknown[0]} (known: {', '.join(KEYS)})", key=path)
    kind = raw.get("kind")
    kind = ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    if kind not in KINDS:
        raise ConfigError(f"should be one of {', '.join(KINDS)} (or {', '.join(ALIASES)})",
                          key=f"{path}/kind")  # fmt: skip
    schedule = raw.get("schedule")
    keep = raw.get("keep", DEFAULT_KEEP)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ConfigError("should be a whole number, at least 1", key=f"{path}/keep")
    return BackupSettings(
        accessory=name,
        kind=str(kind),
        schedule=_schedule(schedule, f"{path}/schedule") if schedule is not None else None,
        keep=keep,
        max_age_seconds=_age(raw.get("max_age"), f"{path}/max_age"),
        directory=_directory(raw.get("target"), f"{path}/target"),
        s3=_s3(raw.get("target"), f"{path}/target"),
        database=_optional_text(raw.get("database")),
        user=_optional_text(raw.get("user")),
        paths=_paths(raw.get("paths"), str(kind), f"{path}/paths"),
        encryption_key=_secret_name(raw.get("encryption_key"), f"{path}/encryption_key"),
        verify_every_seconds=_age(raw.get("verify_every"), f"{path}/verify_every"),
    )


def _schedule(value: Any, path: str) -> CronSchedule:
    if not isinstance(value, str):
        raise ConfigError('should be a cron expression in quotes, like "0 3 * * *"', key=path)
    try:
        return parse_cron(value)
    except ValueError as error:
        raise ConfigError(str(error), key=path) from None


def _age(value: Any, path: str) -> int | None:
    if value is None:
        return None
    match = _AGE.match(str(value))
    if not match or int(match[1]) == 0:
        raise ConfigError("should be a positive age like 90m, 12h or 30d", key=path)
    return int(match[1]) * _AGE_UNITS[match[2]]


def _directory(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError("should be a map with `directory` and/or `s3`", key=path)
    unknown = [str(k) for k in value if k not in TARGET_KEYS]
    if unknown:
        raise ConfigError(f"unknown key: {unknown[0]} (known: {', '.join(TARGET_KEYS)})",
                          key=path)  # fmt: skip
    directory = value.get("directory")
    if directory is None:
        return None
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise ConfigError("should be an absolute path on the server", key=f"{path}/directory")
    if any(c in directory for c in "'\"$`\\\n :"):
        raise ConfigError("should not hold quotes, $, spaces or colons", key=f"{path}/directory")
    return directory.rstrip("/") or "/"


def _s3(target: Any, path: str) -> S3Target | None:
    value = target.get("s3") if isinstance(target, Mapping) else None
    path = f"{path}/s3"
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"should be a map ({', '.join(S3_KEYS)})", key=path)
    unknown = [str(k) for k in value if k not in S3_KEYS]
    if unknown:
        raise ConfigError(f"unknown key: {unknown[0]} (known: {', '.join(S3_KEYS)})", key=path)
    endpoint = value.get("endpoint")
    if not isinstance(endpoint, str) or not _ENDPOINT.match(endpoint):
        raise ConfigError("should be the store's URL, http(s)://host[:port] "
                          "(like http://10.0.0.5:8333)", key=f"{path}/endpoint")  # fmt: skip
    bucket = value.get("bucket")
    if not isinstance(bucket, str) or not _BUCKET.match(bucket):
        raise ConfigError("should be a bucket name: 3-63 of a-z, 0-9, . and -",
                          key=f"{path}/bucket")  # fmt: skip
    prefix = value.get("prefix", "")
    if prefix and (not isinstance(prefix, str) or not _PREFIX.match(prefix)):
        raise ConfigError("should be a key prefix like shop/db/ (letters, digits, . _ - and /; "
                          "no leading /)", key=f"{path}/prefix")  # fmt: skip
    region = value.get("region", DEFAULT_REGION)
    if not isinstance(region, str) or not _REGION.match(region):
        raise ConfigError("should be a region name like us-east-1", key=f"{path}/region")
    path_style = value.get("path_style", DEFAULT_PATH_STYLE)
    if not isinstance(path_style, bool):
        raise ConfigError("should be true or false", key=f"{path}/path_style")
    keys = []
    for name in ("access_key_id", "secret_access_key"):
        secret = _secret_name(value.get(name), f"{path}/{name}")
        if secret is None:
            raise ConfigError("is required: the name of a secret in .kamal/secrets",
                              key=f"{path}/{name}")  # fmt: skip
        keys.append(secret)
    storage_class, after = _storage_class(value, path)
    return S3Target(
        endpoint=endpoint.rstrip("/"), bucket=bucket, access_key_id=keys[0],
        secret_access_key=keys[1], prefix=(str(prefix).rstrip("/") + "/") if prefix else "",
        region=region, path_style=path_style, storage_class=storage_class,
        storage_class_after=after,
    )  # fmt: skip


def _storage_class(value: Mapping[str, Any], path: str) -> tuple[str, int | None]:
    """storage_class and storage_class_after (which needs the class)."""
    storage_class = value.get("storage_class", "")
    if storage_class and storage_class not in STORAGE_CLASSES:
        why = (" (a restore could not read it before an S3 restore request)"
               if storage_class in ("GLACIER", "DEEP_ARCHIVE") else "")  # fmt: skip
        raise ConfigError(f"should be one of {', '.join(STORAGE_CLASSES)}{why}",
                          key=f"{path}/storage_class")  # fmt: skip
    after = _age(value.get("storage_class_after"), f"{path}/storage_class_after")
    if after is not None and not storage_class:
        raise ConfigError("needs storage_class: the class older backups move to",
                          key=f"{path}/storage_class_after")  # fmt: skip
    return str(storage_class), after


def _paths(value: Any, kind: str, path: str) -> tuple[str, ...]:
    if kind != "volume":
        if value is not None:
            raise ConfigError("is only for kind volume", key=path)
        return ()
    if not isinstance(value, list) or not value:
        raise ConfigError("should list the directories to back up, as the accessory's container "
                          "sees them (e.g. [/var/lib/app])", key=path)  # fmt: skip
    for item in value:
        if not isinstance(item, str) or not _SAFE_PATH.match(item.rstrip("/")):
            raise ConfigError(f"{item!r} should be an absolute path of letters, digits, . _ -",
                              key=path)  # fmt: skip
    return tuple(str(item).rstrip("/") for item in value)


def _secret_name(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ConfigError("should be the name of a secret in .kamal/secrets (like BACKUP_KEY)",
                          key=path)  # fmt: skip
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)
