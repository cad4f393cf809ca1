"""`dockyard accessory backup` and `restore` of a Postgres of a few hundred MB, next to running the
dump tools directly. Target (issue #6): each at most 1.1x the direct tool. Writes
bench/results/backup.json. Needs root (a lab).

Method.
- Lab `bmy` (10.222.0.0/24), one docker server; the lab's Postgres 15 image (Debian's packages)
  booted as an accessory by `dockyard accessory boot`, with backups to the default directory
  and no schedule (so nothing else runs during a measurement).
- Data: one table of ROWS rows of random text (md5 of random(): compresses like real data,
  about half), plus an index; its on-disk size is recorded (pg_database_size).
- Backup, per run, interleaved: direct = `ssh s1 docker exec shop-db-backup pg_dump -Fc -f
  /backups/direct.pgdump` (the same tool, in the same container, over the same network path as
  dockyard's backup script); dockyard = `dockyard accessory backup db` (process start, config,
  SSH connect, the dump, sha256, manifest, atomic rename, retention). Wall time from fork to exit
  on this machine, both through one SSH connection set-up.
- Restore, per run, interleaved: direct = `CREATE DATABASE` + `pg_restore < file` into a fresh
  database, in one ssh command; dockyard = `dockyard accessory restore db -y` (listing, sha256
  check, session check, create, the same pg_restore, the renaming swap). The database kept
  aside by each dockyard restore is dropped after the run (not timed).
- `accessory verify` is timed once (no direct equivalent: it adds a throwaway server and counts).
- MariaDB (`--mariadb`, the lab's mariadb:10.11 image, a second accessory `mdb` with the same
  table and rows): backup direct = `mariadb-dump` with dockyard's options, in the backup
  container, into /backups; restore direct = `DROP/CREATE DATABASE` + `mariadb < file`, one ssh
  command. dockyard's MySQL restore also dumps the live database aside first (its safety net),
  so it is expected to cost about one more dump.
- Figures are medians of RUNS runs; `*_ratio` is the median of the runs' dockyard / direct
  ratios (each dockyard run right after its direct run, so both see the same load on a shared
  machine); `*_ratio_of_medians` is the ratio of the medians. The machine's load average before
  and after is recorded: other work on the machine shows up as spread in `times_s`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_result

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images

NAME, SUBNET = "bmy", "10.222.0.0/24"
PASSWORD = "bench-secret"
TARGET = 1.1


def config(lab: labs.LabInfo, image: str, mariadb: str | None = None) -> str:
    host = lab.servers[0].ip
    return f"""service: shop
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
        POSTGRES_USER: shop
        POSTGRES_DB: shop
      secret: [POSTGRES_PASSWORD]
    directories:
      - data:/var/lib/postgresql/data
{mariadb_accessory(host, mariadb) if mariadb else ""}x-dockyard:
  backups:
    db:
      kind: postgres
      keep: 2
{MARIADB_BACKUPS if mariadb else ""}"""


MARIADB_BACKUPS = """    mdb:
      kind: mariadb
      keep: 2
"""


def mariadb_accessory(host: str, image: str) -> str:
    return f"""  mdb:
    image: {image}
    host: {host}
    env:
      clear:
        MARIADB_DATABASE: shop
      secret: [MARIADB_ROOT_PASSWORD]
    directories:
      - mdata:/var/lib/mysql
"""


class Bench:
    def __init__(self, lab: labs.LabInfo, app: Path) -> None:
        self.lab, self.app = lab, app

    def ssh(self, command: str, *, stdin: str | None = None) -> str:
        done = subprocess.run(
            ["ssh", "-F", self.lab.ssh_config, "s1", command],
            input=stdin, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ssh {command}: {done.stderr.strip()}")
        return done.stdout

    def dockyard(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dockyard", *args], cwd=self.app, capture_output=True,
            text=True, timeout=1800, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"dockyard {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def sql(self, statement: str, database: str = "shop") -> str:
        return self.ssh(f"docker exec shop-db psql -X -q -At -v ON_ERROR_STOP=1 -U shop "
                        f"-d {database} -c {shlex.quote(statement)}").strip()  # fmt: skip

    def mysql(self, statement: str, database: str = "shop") -> str:
        return self.ssh(f"docker exec -e MYSQL_PWD={PASSWORD} shop-mdb mariadb -uroot -N -B "
                        f"{database} -e {shlex.quote(statement)}").strip()  # fmt: skip

    def timed(self, work: object) -> float:
        start = time.perf_counter()
        work()  # type: ignore[operator]
        return time.perf_counter() - start


def fill(bench: Bench, rows: int) -> dict[str, int]:
    bench.sql("DROP TABLE IF EXISTS events")
    bench.sql("CREATE TABLE events (id bigint PRIMARY KEY, kind int, a text, b text, c text)")
    step = 500_000
    for first in range(1, rows + 1, step):
        last = min(first + step - 1, rows)
        bench.sql(f"INSERT INTO events SELECT g, g % 17, md5(random()::text), "
                  f"md5(random()::text), md5(random()::text) || md5(random()::text) "
                  f"FROM generate_series({first}, {last}) g")  # fmt: skip
    bench.sql("VACUUM ANALYZE events")
    return {"rows": rows, "database_bytes": int(bench.sql("SELECT pg_database_size('shop')"))}


def fill_mariadb(bench: Bench, rows: int) -> dict[str, int]:
    bench.mysql("DROP TABLE IF EXISTS events")
    bench.mysql("CREATE TABLE events (id bigint PRIMARY KEY, kind int, a text, b text, c text)")
    step = 500_000
    for first in range(1, rows + 1, step):
        last = min(first + step - 1, rows)
        bench.mysql(f"INSERT INTO events SELECT seq, seq % 17, md5(rand()), md5(rand()), "
                    f"concat(md5(rand()), md5(rand())) FROM seq_{first}_to_{last}")  # fmt: skip
    size = bench.mysql("SELECT data_length + index_length FROM information_schema.tables "
                       "WHERE table_schema = 'shop' AND table_name = 'events'")  # fmt: skip
    return {"mariadb_rows": rows, "mariadb_table_bytes": int(size)}


def wait_for(probe: object) -> None:
    for _ in range(240):
        try:
            probe()  # type: ignore[operator]
            return
        except RuntimeError:
            time.sleep(0.5)


def run(rows: int, runs: int, with_mariadb: bool) -> dict[str, object]:
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=1, engine="docker"))
    try:
        images = ensure_db_images(lab)
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp)
            (app / "config").mkdir()
            (app / ".kamal").mkdir()
            mariadb = images["mariadb"] if with_mariadb else None
            (app / "config" / "deploy.yml").write_text(config(lab, images["postgres"], mariadb))
            (app / ".kamal" / "secrets").write_text(
                f"REGISTRY_PASSWORD=lab\nPOSTGRES_PASSWORD={PASSWORD}\n"
                f"MARIADB_ROOT_PASSWORD={PASSWORD}\n"
            )
            bench = Bench(lab, app)
            bench.dockyard("accessory", "boot", "db")
            wait_for(lambda: bench.sql("SELECT 1"))
            result: dict[str, object] = {"load_average_before": os.getloadavg()[0]}
            result.update(fill(bench, rows))
            result.update(measure(bench, runs))
            if with_mariadb:
                bench.dockyard("accessory", "boot", "mdb")
                wait_for(lambda: bench.mysql("SELECT 1"))
                result.update(fill_mariadb(bench, rows))
                result["mariadb"] = measure_mariadb(bench, runs)
            result["load_average_after"] = os.getloadavg()[0]
            return result
    finally:
        labs.down(NAME)


def measure(bench: Bench, runs: int) -> dict[str, object]:
    direct_dump = (
        f"docker exec -e PGPASSWORD={PASSWORD} shop-db-backup pg_dump -h shop-db -U shop -Fc "
        "-f /backups/direct.pgdump shop"
    )
    times: dict[str, list[float]] = {k: [] for k in
                                     ("backup_direct", "backup_dockyard", "restore_direct",
                                      "restore_dockyard")}  # fmt: skip
    sizes = []
    for _ in range(runs):
        times["backup_direct"].append(bench.timed(lambda: bench.ssh(direct_dump)))
        out = ""

        def backup() -> None:
            nonlocal out
            out = bench.dockyard("accessory", "backup", "db")

        times["backup_dockyard"].append(bench.timed(backup))
        sizes.append(int(out.strip().rsplit("(", 1)[1].split()[0]))
    file = ".dockyard/backups/shop-db/direct.pgdump"
    for _ in range(runs):

        def direct_restore() -> None:  # one SSH connection, as dockyard's one transport
            bench.ssh(
                "docker exec shop-db psql -X -q -U shop -d postgres -c 'DROP DATABASE IF EXISTS "
                "fresh' -c 'CREATE DATABASE fresh' && docker exec -i shop-db pg_restore "
                f"--exit-on-error --no-owner --no-acl -U shop -d fresh < {file}"
            )

        times["restore_direct"].append(bench.timed(direct_restore))
        bench.sql("DROP DATABASE IF EXISTS fresh", "postgres")
        times["restore_dockyard"].append(
            bench.timed(lambda: bench.dockyard("accessory", "restore", "db", "-y", "--force"))
        )
        for name in bench.sql("SELECT datname FROM pg_database WHERE datname LIKE "
                              "'shop__before_restore_%'", "postgres").split():  # fmt: skip
            bench.sql(f'DROP DATABASE "{name}"', "postgres")
    verify = bench.timed(lambda: bench.dockyard("accessory", "verify", "db"))
    return {**figures(times, runs), "backup_bytes": statistics.median(sizes),
            "verify_s": round(verify, 2), "target_ratio": TARGET}  # fmt: skip


def figures(times: dict[str, list[float]], runs: int) -> dict[str, object]:
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    found: dict[str, object] = {
        "runs": runs,
        "times_s": {k: [round(t, 2) for t in v] for k, v in times.items()},
        "median_s": med,
    }
    for step in ("backup", "restore"):
        pairs = zip(times[f"{step}_dockyard"], times[f"{step}_direct"], strict=True)
        found[f"{step}_ratio"] = round(statistics.median(d / r for d, r in pairs), 3)
        found[f"{step}_ratio_of_medians"] = round(med[f"{step}_dockyard"] /
                                                  med[f"{step}_direct"], 3)  # fmt: skip
    return found


def measure_mariadb(bench: Bench, runs: int) -> dict[str, object]:
    options = "--single-transaction --quick --routines --triggers --events"
    direct_dump = (f"docker exec -e MYSQL_PWD={PASSWORD} shop-mdb-backup sh -c 'mariadb-dump "
                   f"-h shop-mdb -uroot {options} shop > /backups/direct.sql'")  # fmt: skip
    times: dict[str, list[float]] = {k: [] for k in
                                     ("backup_direct", "backup_dockyard", "restore_direct",
                                      "restore_dockyard")}  # fmt: skip
    for _ in range(runs):
        times["backup_direct"].append(bench.timed(lambda: bench.ssh(direct_dump)))
        times["backup_dockyard"].append(
            bench.timed(lambda: bench.dockyard("accessory", "backup", "mdb"))
        )
    file = ".dockyard/backups/shop-mdb/direct.sql"
    client = f"docker exec -i -e MYSQL_PWD={PASSWORD} shop-mdb mariadb -uroot"
    for _ in range(runs):

        def direct_restore() -> None:  # one SSH connection, as dockyard's one transport
            bench.ssh(f"{client} -e 'DROP DATABASE IF EXISTS fresh; CREATE DATABASE fresh' && "
                      f"{client} fresh < {file}")  # fmt: skip

        times["restore_direct"].append(bench.timed(direct_restore))
        bench.mysql("DROP DATABASE IF EXISTS fresh")
        times["restore_dockyard"].append(
            bench.timed(lambda: bench.dockyard("accessory", "restore", "mdb", "-y", "--force"))
        )
        bench.ssh("rm -f .dockyard/backups/shop-mdb/shop-mdb-before-restore-*.sql")
    verify = bench.timed(lambda: bench.dockyard("accessory", "verify", "mdb"))
    return {**figures(times, runs), "verify_s": round(verify, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000, help="rows (about 200 B each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mariadb", action="store_true", help="also MariaDB (same rows)")
    args = parser.parse_args()
    result = run(args.rows, args.runs, args.mariadb)
    result["met"] = {
        "backup": result["backup_ratio"] <= TARGET,  # type: ignore[operator]
        "restore": result["restore_ratio"] <= TARGET,  # type: ignore[operator]
    }
    path = write_result("backup", result)
    print(path.read_text())


if __name__ == "__main__":
    main()
