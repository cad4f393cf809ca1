"""What the accessory and backup scenario tests share: one app with accessories on two hosts,
their contexts, and the rules every failing run must keep (one line naming host, accessory and
cause).

    ctx = context(tmp_path, "pg")                   # an AccessoryContext of the app below
    problem = ends_cleanly(failure, error, ctx)     # "" when the error is as it should be
"""

from __future__ import annotations

import re
from pathlib import Path

from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.redaction import Secret
from dockyard.ssh.fake import Call, FakeTransport, Reply
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.accessories.lifecycle import secret_names
from tests.unit.workflows.faults import FAULTS, INJECTED, Failure, Fault, one_line

HOSTS = ("10.0.0.1", "10.0.0.2")

APP = """
service: shop
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1]
accessories:
  pg:
    image: postgres:15
    hosts: [10.0.0.1, 10.0.0.2]
    env:
      clear: {POSTGRES_USER: shop, POSTGRES_DB: shop}
      secret: [POSTGRES_PASSWORD]
    files:
      - db/notes.conf:/etc/shop/notes.conf
    directories:
      - data:/var/lib/postgresql/data
  sealed:
    image: postgres:15
    host: 10.0.0.1
    env:
      clear: {POSTGRES_USER: shop, POSTGRES_DB: shop}
  my:
    image: mariadb:10.11
    host: 10.0.0.1
    env:
      clear: {MARIADB_DATABASE: shop}
      secret: [MARIADB_ROOT_PASSWORD]
  cache:
    image: redis:7
    host: 10.0.0.1
    directories:
      - cache-data:/data
  files:
    image: redis:7
    host: 10.0.0.1
    directories:
      - uploads:/srv/uploads
  stored:
    image: postgres:15
    host: 10.0.0.1
    env:
      clear: {POSTGRES_USER: shop, POSTGRES_DB: shop}
  plain:
    image: redis:7
    host: 10.0.0.1
x-dockyard:
  backups:
    pg: {kind: postgres, schedule: "0 3 * * *", keep: 3}
    sealed: {kind: postgres, encryption_key: BACKUP_KEY}
    my: {kind: mariadb}
    cache: {kind: redis}
    files: {kind: volume, paths: [/srv/uploads]}
    stored:
      kind: postgres
      target:
        s3:
          endpoint: http://10.0.0.9:8333
          bucket: backups
          region: us-east-1
          access_key_id: S3_KEY_ID
          secret_access_key: S3_SECRET
"""

SECRETS = {
    "POSTGRES_PASSWORD": "pg-secret",
    "MARIADB_ROOT_PASSWORD": "my-secret",
    "BACKUP_KEY": "backup-key",
    "S3_KEY_ID": "key-id",
    "S3_SECRET": "key-secret",
}


def config() -> Config:
    return parse_config([("config/deploy.yml", APP)], version="v1")


def context(root: Path, name: str) -> AccessoryContext:
    """The accessory `name` of APP, its local files under `root`."""
    (root / "db").mkdir(exist_ok=True)
    (root / "db" / "notes.conf").write_text("shared_buffers = 128MB\n")
    c = config()
    secrets = {n: Secret(SECRETS[n]) for n in secret_names(c, [name])}
    return AccessoryContext(c, c.accessory(name), secrets, root)


CAUSES = {
    "exit": INJECTED,
    "dropped": "connection lost",
    "hang": "did not finish within",
}


def names_accessory(line: str, ctx: AccessoryContext) -> bool:
    """The accessory is named outside the failing command's own text (`...`): by its name or
    its container's (a backup file `shop-pg-2024...` does not count)."""
    told = re.sub(r"`[^`]*`", "", line)
    names = f"{re.escape(ctx.accessory.name)}|{re.escape(ctx.name)}"
    return re.search(rf"(?<![\w.-])({names})(?![\w-])", told) is not None


def ends_cleanly(
    failure: Failure, error: BaseException | None, ctx: AccessoryContext, *causes: str
) -> str:
    """ "" when `error` is one line that names the failing host, the accessory and the cause:
    the injected fault itself, or one of `causes` (what the workflow made of that exit)."""
    if error is None:
        return "it succeeded although a step failed"
    line = one_line(error)
    if "\n" in line:
        return f"the error is not one line: {line!r}"
    if failure.call.host not in line:
        return f"the error does not name the host: {line}"
    if not names_accessory(line, ctx):
        return f"the error does not name the accessory {ctx.accessory.name}: {line}"
    if not any(cause in line for cause in (CAUSES[failure.fault], *causes)):
        return f"the error does not say the cause ({CAUSES[failure.fault]}): {line}"
    return ""


def ran_after(fake_calls: list[str], index: int, text: str) -> bool:
    """A step containing `text` ran after step `index`."""
    return any(text in call for call in fake_calls[index + 1 :])


# The steps that run as long as the data is big (UNBOUNDED: no deadline), by what their command
# says: an image pull, a dump, a load, a decrypt, a checksum, a download from the store. Each has
# the exit and dropped faults; a "hang" of one waits, by design, as the real transport does.
DATA_SIZED = (
    "docker pull",  # the image
    "sh /dockyard/backup.sh",  # the dump
    "/dockyard/s3.sh get",  # the download
    "openssl dgst -sha256",  # the checksum
    "openssl enc -d",  # the decrypt
    '< "$HOME/',  # a load from a file on the host (pg_restore, mariadb)
    "pg_restore",  # a load into a throwaway
    "127.0.0.1 verify < ",  # a MySQL load into a throwaway
    "sh mariadb-dump ",  # MySQL's data kept aside
    "awk",  # the rows a dump holds
    "redis-check-rdb",
    "dump.rdb.incoming",  # the RDB file copied into place
    "tar -xzf",  # a volume unpacked
)


def faults_of(call: Call) -> tuple[Fault, ...]:
    if any(text in call.text for text in DATA_SIZED):
        return ("exit", "dropped")
    return FAULTS


def assert_none(problems: list[str]) -> None:
    """Every problem on its own line (pytest would cut a long list short)."""
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


SHA = "9f2b" * 16
OLDER, NEWER = "20261201T030000Z", "20261202T030000Z"


def manifest(ctx: AccessoryContext, stamp: str, *, encrypted: bool = False) -> str:
    """A manifest line as backup.sh writes it (commands/backup_scripts.py)."""
    from dockyard.workflows.backups.backup import place_of

    place = place_of(ctx)
    file = f"{place.prefix}-{stamp}.{place.settings.extension}"
    return (
        f'{{"file": "{file}", "kind": "{place.settings.kind}", "size": 52311, "sha256": "{SHA}", '
        f'"created": 1796180400, "entries": 7, "encrypted": {str(encrypted).lower()}}}'
    )


def backup_file(ctx: AccessoryContext, stamp: str = NEWER) -> str:
    from dockyard.workflows.backups.backup import place_of

    place = place_of(ctx)
    return f"{place.prefix}-{stamp}.{place.settings.extension}"


def with_backups(fake: FakeTransport, ctx: AccessoryContext, *, encrypted: bool = False) -> None:
    """Replies as a host with two backups of `ctx` answers: the listing (from the directory, or
    from the store through s3.sh list), the checksum (openssl dgst -r) and the backup container
    running."""
    lines = [manifest(ctx, NEWER, encrypted=encrypted), manifest(ctx, OLDER, encrypted=encrypted)]
    listing = "\n".join([*lines, f"#last-success 1796180400 {backup_file(ctx)}"]) + "\n"
    fake.first(lambda host, wire: Reply(stdout=listing) if "last-success" in wire else None)
    fake.first(lambda host, wire: Reply(stdout=f"{SHA} *x\n") if "dgst -sha256" in wire else None)
    running = f"{ctx.name}-backup\trunning\n"
    fake.first(lambda host, wire: Reply(stdout=running) if f"^{ctx.name}-backup$" in wire else None)
