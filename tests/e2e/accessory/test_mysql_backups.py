"""MySQL/MariaDB backups on a real server, with the lab's MariaDB 10.11 image (Debian's package)
configured the way a Kamal accessory sets the official image: back up, drop, restore; verify a
good and a truncated backup; a wrong password is one clear line and keeps every backup."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

from .conftest import ssh
from .harness import backup_name, dockyard, ok

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("docker_only")]
ROOT_PASSWORD = "root-s3cret-never-shown"
BACKUPS = ".dockyard/backups/mshop-db"


@pytest.fixture(scope="module")
def maria(lab: labs.LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app whose only accessory is MariaDB (MARIADB_ROOT_PASSWORD secret, MYSQL_DATABASE,
    MYSQL_USER and MYSQL_PASSWORD, as Kamal's MySQL examples write them), booted and ready."""
    if lab.engine != "docker":
        pytest.skip("runs on Docker only (its commands are the same on Podman)")
    root = tmp_path_factory.mktemp("mshop")
    host = lab.servers[0].ip
    image = ensure_db_images(lab)["mariadb"]
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    (root / "config" / "deploy.yml").write_text(f"""service: mshop
image: demo
servers: [{host}]
registry:
  server: {lab.registry_host}
  username: lab
  password: [REGISTRY_PASSWORD]
ssh:
  config: {lab.ssh_config}
builder:
  arch: amd64
accessories:
  db:
    image: {image}
    host: {host}
    env:
      clear:
        MYSQL_DATABASE: shop
        MYSQL_USER: shop
      secret: [MARIADB_ROOT_PASSWORD, MYSQL_PASSWORD]
    directories:
      - data:/var/lib/mysql
x-dockyard:
  runtime: {lab.engine}
  backups:
    db:
      kind: mariadb
      keep: 5
""")
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nMARIADB_ROOT_PASSWORD={ROOT_PASSWORD}\nMYSQL_PASSWORD=app-pw\n"
    )
    ok(root, "accessory", "boot", "db")
    for _ in range(240):
        if (
            dockyard(root, "accessory", "exec", "db", "--reuse", sql_line("SELECT 1")).returncode
            == 0
        ):
            return root
        time.sleep(0.5)
    raise AssertionError(ok(root, "accessory", "logs", "db", "-n", "30"))


def sql_line(statement: str, user: str = "shop", password: str = "app-pw") -> str:
    return shlex.join(["sh", "-c", f"MYSQL_PWD={password} mariadb -u {user} -N -B shop -e "
                       + shlex.quote(statement)])  # fmt: skip


def sql(root: Path, statement: str, *, root_user: bool = False) -> str:
    line = sql_line(statement, "root", ROOT_PASSWORD) if root_user else sql_line(statement)
    out = ok(root, "accessory", "exec", "db", "--reuse", line)
    return "\n".join(line.split(": ", 1)[1] for line in out.splitlines() if ": " in line)


def test_backup_drop_restore_brings_the_rows_and_triggers_back(
    maria: Path, lab: labs.LabInfo
) -> None:
    sql(maria, "CREATE TABLE orders (id INT PRIMARY KEY, item TEXT) ENGINE=InnoDB")
    sql(maria, "INSERT INTO orders SELECT seq, CONCAT('it''s ', seq, ' (a),(b)') "
               "FROM seq_1_to_3000")  # fmt: skip
    sql(maria, "CREATE TABLE empty_one (id INT)")
    made = backup_name(ok(maria, "accessory", "backup", "db"))
    assert made.startswith("mshop-db-") and made.endswith(".sql")
    sql(maria, "DROP TABLE orders")
    sql(maria, "CREATE TABLE after_backup (id INT)")
    # only tables: they move aside into a database of their own (one RENAME TABLE)
    restored = ok(maria, "accessory", "restore", "db", made, "-y")
    assert "the data before is kept as database shop__before_restore_" in restored
    assert sql(maria, "SELECT COUNT(*), MAX(item) FROM orders") == "3000\tit's 999 (a),(b)"
    tables = "SELECT GROUP_CONCAT(table_name ORDER BY 1) FROM information_schema.tables WHERE "
    assert sql(maria, tables + "table_schema = 'shop'") == "empty_one,orders"
    kept = sql(maria, tables + "table_schema LIKE 'shop__before%'", root_user=True)
    assert kept == "after_backup,empty_one"

    # a trigger cannot move between databases: the data before is dumped beside the backups
    sql(maria, "CREATE TABLE log (id INT)")
    sql(maria, "CREATE TRIGGER orders_log AFTER DELETE ON orders FOR EACH ROW "
               "INSERT INTO log VALUES (OLD.id)")  # fmt: skip
    made = backup_name(ok(maria, "accessory", "backup", "db"))
    sql(maria, "DELETE FROM orders WHERE id > 10")
    restored = ok(maria, "accessory", "restore", "db", made, "-y")
    assert "the data before is kept as mshop-db-before-restore-" in restored
    assert "mshop-db-before-restore-" in ssh(lab, f"ls {BACKUPS}").stdout
    assert sql(maria, "SELECT COUNT(*) FROM orders") == "3000"
    assert sql(maria, "SELECT COUNT(*) FROM log") == "0"
    sql(maria, "DELETE FROM orders WHERE id = 1")  # the trigger came back with the table
    assert sql(maria, "SELECT id FROM log") == "1"

    out = ok(maria, "accessory", "verify", "db", made)
    assert f"{made} verified" in out and "3 table(s), 3000 row(s) match" in out
    assert "verify" not in ssh(lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'").stdout


def test_a_truncated_backup_fails_verify_and_restore_changes_nothing(
    maria: Path, lab: labs.LabInfo
) -> None:
    made = backup_name(ok(maria, "accessory", "backup", "db"))
    path = f"{BACKUPS}/{made}"
    # cut at a line end, with the manifest rewritten to match: only the dump itself can tell
    fix_manifest = (
        f"sum=$(sha256sum {path} | cut -d' ' -f1) && "
        f'sed -i "s/\\"sha256\\": \\"[0-9a-f]*\\"/\\"sha256\\": \\"$sum\\"/" {path}.json'
    )
    ssh(lab, f"cp {path} /tmp/whole && head -n 45 /tmp/whole > {path} && {fix_manifest}")
    done = dockyard(maria, "accessory", "verify", "db", made)
    assert done.returncode != 0
    assert f"verify FAILED for {made}: the dump cannot be read (the dump is incomplete" in (
        done.stderr
    )
    assert "verify" not in ssh(lab, f"{lab.engine} ps -a --format '{{{{.Names}}}}'").stdout
    done = dockyard(maria, "accessory", "restore", "db", made, "-y")
    assert done.returncode != 0 and "is incomplete" in done.stderr
    assert "nothing was changed" in done.stderr
    assert sql(maria, "SELECT COUNT(*) FROM orders") == "2999"

    # whole in form but failing half-way: the tables moved aside are put back
    sql(maria, "DROP TRIGGER orders_log")
    broken = "(head -n 60 /tmp/whole; echo 'NOT SQL;'; tail -n 3 /tmp/whole)"
    ssh(lab, f"{broken} > {path} && {fix_manifest}")
    done = dockyard(maria, "accessory", "restore", "db", made, "-y")
    assert done.returncode != 0 and f"{made} did not load" in done.stderr
    assert "the data of shop was put back as it was" in done.stderr
    assert sql(maria, "SELECT COUNT(*) FROM orders") == "2999"


def test_a_wrong_password_is_one_clear_line_and_keeps_the_backups(
    maria: Path, lab: labs.LabInfo
) -> None:
    good = ok(maria, "accessory", "backups", "db").count(".sql")
    secrets = maria / ".kamal" / "secrets"
    original = secrets.read_text()
    secrets.write_text(original.replace(ROOT_PASSWORD, "wrong-password"))
    try:
        ok(maria, "accessory", "reboot", "db")  # the backup container gets the new env file
        done = dockyard(maria, "accessory", "backup", "db")
    finally:
        secrets.write_text(original)
        ok(maria, "accessory", "reboot", "db")
    assert done.returncode != 0
    error = done.stderr.strip()
    assert len(error.splitlines()) == 1, error
    assert "Access denied for user 'root'" in error and "earlier backups are untouched" in error
    assert ok(maria, "accessory", "backups", "db").count(".sql") == good
    assert ssh(lab, f"ls -a {BACKUPS} | grep -c partial || true").stdout.strip() == "0"
