"""`dockyard accessory backup` and `restore` of a Postgres of a few hundred MB, next to running the
dump tools directly. Target (issue #6): each at most 1.1x the direct tool. Writes
bench/results/backup.json. Needs root (a lab).

Method.
- Lab `bacc` (10.217.0.0/24), one docker server; the lab's Postgres 15 image (Debian's packages)
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
- Figures are medians of RUNS runs; the ratio is dockyard / direct, measured in the same run.
"""

from __future__ import annotations

import argparse
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

NAME, SUBNET = "bacc", "10.217.0.0/24"
PASSWORD = "bench-secret"
TARGET = 1.1


def config(lab: labs.LabInfo, image: str) -> str:
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
x-dockyard:
  backups:
    db:
      kind: postgres
      keep: 2
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


def run(rows: int, runs: int) -> dict[str, object]:
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=1, engine="docker"))
    try:
        image = ensure_db_images(lab)["postgres"]
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp)
            (app / "config").mkdir()
            (app / ".kamal").mkdir()
            (app / "config" / "deploy.yml").write_text(config(lab, image))
            (app / ".kamal" / "secrets").write_text(
                f"REGISTRY_PASSWORD=lab\nPOSTGRES_PASSWORD={PASSWORD}\n"
            )
            bench = Bench(lab, app)
            bench.dockyard("accessory", "boot", "db")
            for _ in range(120):
                try:
                    bench.sql("SELECT 1")
                    break
                except RuntimeError:
                    time.sleep(0.5)
            data = fill(bench, rows)
            return {**data, **measure(bench, runs)}
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
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    return {
        "runs": runs,
        "times_s": {k: [round(t, 2) for t in v] for k, v in times.items()},
        "median_s": med,
        "backup_bytes": statistics.median(sizes),
        "backup_ratio": round(med["backup_dockyard"] / med["backup_direct"], 3),
        "restore_ratio": round(med["restore_dockyard"] / med["restore_direct"], 3),
        "verify_s": round(verify, 2),
        "target_ratio": TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000, help="rows (about 200 B each)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = run(args.rows, args.runs)
    result["met"] = {
        "backup": result["backup_ratio"] <= TARGET,  # type: ignore[operator]
        "restore": result["restore_ratio"] <= TARGET,  # type: ignore[operator]
    }
    path = write_result("backup", result)
    print(path.read_text())


if __name__ == "__main__":
    main()
