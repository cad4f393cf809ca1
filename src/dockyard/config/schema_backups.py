"""Schema of `x-dockyard: backups: <accessory>:` (see schema.py for the kinds).

config/backups.py validates these settings with its own rules (cron, ages, URLs, bucket names),
but takes every key name, kind name and default from here, and `dockyard docs x-dockyard` shows
exactly these: a key validation accepts cannot be missing from the docs.
"""

from __future__ import annotations

Spec = tuple[str, ...]

# The kinds a user may write; an alias is another name for a kind (Kamal users write both).
KIND_ALIASES = {"mariadb": "mysql"}

BACKUP: dict[str, Spec] = {
    "kind": ("enum", "What is backed up: a Postgres database (pg_dump), a MySQL or MariaDB "
             "database (mariadb-dump or mysqldump; mariadb is another name for mysql), Redis "
             "(its RDB snapshot), or directories of the accessory's container (volume, as "
             "tar.gz). Required.", "", "postgres|mysql|mariadb|redis|volume"),
    "schedule": ("string", "When a backup runs on the server, in cron syntax (UTC), quoted: "
                 "\"0 3 * * *\". Without one, only `dockyard accessory backup` makes backups.",
                 ""),
    "keep": ("integer", "How many of the newest backups are kept (at least 1).", "7"),
    "max_age": ("string", "Also delete backups older than this: a number with m, h or d "
                "(90m, 12h, 30d).", ""),
    "target": ("section", "Where backups are written.", "", "x_backup_target"),
    "database": ("string", "The database (postgres: default POSTGRES_DB, else POSTGRES_USER; "
                 "mysql: default MARIADB_DATABASE, else MYSQL_DATABASE).", ""),
    "user": ("string", "The database user (postgres: default POSTGRES_USER, else postgres; "
             "mysql: default root).", ""),
    "paths": ("list", "volume: the directories to back up, as the accessory's container sees "
              "them ([/var/lib/app]); only for kind volume.", ""),
    "encryption_key": ("string", "The name of a secret: backups are encrypted with it "
                       "(AES-256-CBC, PBKDF2) before they touch the disk.", ""),
    "verify_every": ("string", "How recent a verified backup should be (`accessory verify` "
                     "records each result on the server), as 7d or 12h: `details` and "
                     "`accessory backups` warn when the last verify failed or is older. Postgres "
                     "with a schedule: the server verifies the newest backup after a scheduled "
                     "backup, often enough for one to pass within this.", ""),
}  # fmt: skip

BACKUP_TARGET: dict[str, Spec] = {
    "directory": ("string", "An absolute directory on the server (no quotes, $, spaces or "
                  "colons).", "~/.dockyard/backups/<accessory service>"),
    "s3": ("section", "An S3-compatible store that gets each backup; the directory is then "
           "only where a backup is made and checked before the upload.", "", "x_backup_s3"),
}  # fmt: skip

BACKUP_S3: dict[str, Spec] = {
    "endpoint": ("string", "The store's URL, http(s)://host[:port]. Required.", ""),
    "bucket": ("string", "The bucket: 3-63 of a-z, 0-9, . and -. Required.", ""),
    "prefix": ("string", "A key prefix like shop/db/ (letters, digits, . _ - and /).", ""),
    "region": ("string", "The region signed for.", "us-east-1"),
    "access_key_id": ("string", "The name of the secret holding the access key id. Required.",
                      ""),
    "secret_access_key": ("string", "The name of the secret holding the secret access key. "
                          "Required.", ""),
    "path_style": ("boolean", "Path-style URLs (endpoint/bucket, for self-hosted stores); "
                   "false: virtual-hosted (bucket.host).", "true"),
    "storage_class": ("enum", "The S3 storage class backups are kept in: sent with each upload "
                      "(x-amz-storage-class), or, with storage_class_after, given to older "
                      "backups only. Classes a restore reads at once; manifests stay STANDARD.",
                      "", "STANDARD|STANDARD_IA|ONEZONE_IA|INTELLIGENT_TIERING|GLACIER_IR"),
    "storage_class_after": ("string", "Move backups this old (7d, 12h) to storage_class: after "
                            "each upload, older backups are copied onto themselves with the "
                            "class (S3 CopyObject); newer ones stay STANDARD.", ""),
}  # fmt: skip

BACKUP_SECTIONS: dict[str, dict[str, Spec]] = {
    "x_backup": BACKUP, "x_backup_target": BACKUP_TARGET, "x_backup_s3": BACKUP_S3,
}  # fmt: skip
