"""An app with a Postgres and a Redis accessory (with backups) for a lab, and the CLI."""

from __future__ import annotations

import shlex
from pathlib import Path

from dockyard.lab import LabInfo

from ..cli import dockyard as dockyard

PG_PASSWORD = "pg-s3cret-never-shown"
REDIS_PASSWORD = "redis-s3cret-never-shown"
BACKUP_KEY = "backup-key-never-shown"
SERVICE = "shop"
DB, CACHE = f"{SERVICE}-db", f"{SERVICE}-cache"


def write_app(root: Path, lab: LabInfo, images: dict[str, str], *, keep: int = 3) -> Path:
    host = lab.servers[0].ip
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "db").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(
        f"""service: {SERVICE}
image: demo
servers:
  web:
    hosts:
      - {host}
registry:
  server: {lab.registry_host}
  username: lab
  password:
    - REGISTRY_PASSWORD
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
accessories:
  db:
    image: {images["postgres"]}
    host: {host}
    port: "127.0.0.1:5432:5432"
    env:
      clear:
        POSTGRES_USER: shop
        POSTGRES_DB: shop
      secret:
        - POSTGRES_PASSWORD
    files:
      - db/notes.conf.erb:/etc/shop/notes.conf
      - db/secret.conf.erb:/etc/shop/secret.conf
      - local: db/readonly.txt
        remote: /etc/shop/readonly.txt
        mode: "0640"
        owner: "999:999"
    directories:
      - data:/var/lib/postgresql/data
  cache:
    image: {images["redis"]}
    host: {host}
    port: "127.0.0.1:6379:6379"
    env:
      secret:
        - REDIS_PASSWORD
    directories:
      - cache-data:/data
  uploads:
    image: {images["redis"]}
    host: {host}
    cmd: sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
    directories:
      - uploads:/srv/uploads
x-dockyard:
  runtime: {lab.engine}
  backups:
    db:
      kind: postgres
      schedule: "* * * * *"
      keep: {keep}
    cache:
      kind: redis
      keep: 5
      encryption_key: BACKUP_KEY
    uploads:
      kind: volume
      paths: [/srv/uploads]
"""
    )
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nPOSTGRES_PASSWORD={PG_PASSWORD}\nREDIS_PASSWORD={REDIS_PASSWORD}\n"
        f"BACKUP_KEY={BACKUP_KEY}\n"
    )
    (root / "db" / "notes.conf.erb").write_text("owner = <%= ENV['POSTGRES_USER'] %>\n")
    (root / "db" / "secret.conf.erb").write_text("password = <%= ENV['POSTGRES_PASSWORD'] %>\n")
    (root / "db" / "readonly.txt").write_text("only for postgres\n")
    return root


def ok(root: Path, *args: str) -> str:
    done = dockyard(root, *args)
    assert done.returncode == 0, f"dockyard {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def psql(root: Path, sql: str) -> str:
    """One SQL statement in the running Postgres accessory; its rows, unaligned."""
    line = shlex.join(["psql", "-U", "shop", "-d", "shop", "-Atc", sql])
    out = ok(root, "accessory", "exec", "db", "--reuse", line)  # one string, as Kamal takes it
    return "\n".join(line.split(": ", 1)[1] for line in out.splitlines() if ": " in line)


def redis(root: Path, *args: str) -> str:
    line = shlex.join(["sh", "-c", f'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli {shlex.join(args)}'])
    out = ok(root, "accessory", "exec", "cache", "--reuse", line)
    return "\n".join(line.split(": ", 1)[1] for line in out.splitlines() if ": " in line)


def backup_name(output: str) -> str:
    """The file `accessory backup` made (its line: `host: FILE (N bytes)`)."""
    return output.strip().splitlines()[-1].split(": ", 1)[1].split(" ")[0]
