"""`dockyard config` against `kamal config` (the real Kamal 2.11) on the same apps, in one run.

Each app is a committed git checkout holding one of the oracle corpus configs; both tools read it
with the version taken from git (the usual case). Runs alternate between the tools so load from
other work on the machine hits both alike. Target: dockyard's median under 0.25x Kamal's.
Writes bench/results/config.json.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import summary, time_command, write_result

RUNS = 9
CORPUS = Path(__file__).resolve().parents[1] / "tests" / "oracle" / "configs" / "good"
APPS = ["minimal", "roles", "everything"]
SECRETS = "KAMAL_REGISTRY_PASSWORD=x\nGHCR_TOKEN=x\nSSH_PRIVATE_KEY=x\n"


def make_app(root: Path, name: str) -> Path:
    app = root / name
    (app / "config").mkdir(parents=True)
    shutil.copy(CORPUS / f"{name}.yml", app / "config" / "deploy.yml")
    (app / ".kamal").mkdir()
    (app / ".kamal" / "secrets").write_text(SECRETS)
    git = ["git", "-c", "user.email=b@example.com", "-c", "user.name=bench"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run([*git, *args], cwd=app, check=True)
    return app


def main() -> None:
    bindir = Path(sys.executable).parent
    dockyard = [shutil.which("dockyard", path=str(bindir)) or "dockyard", "config"]
    kamal = [shutil.which("kamal", path=str(bindir)) or "kamal", "config"]
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in APPS:
            app = make_app(Path(tmp), name)
            time_command(kamal, runs=1, cwd=app)  # warm the page cache for both
            time_command(dockyard, runs=1, cwd=app)
            ours[name], theirs[name] = [], []
            for _ in range(RUNS):
                ours[name] += time_command(dockyard, runs=1, cwd=app)
                theirs[name] += time_command(kamal, runs=1, cwd=app)
    all_ours = [t for times in ours.values() for t in times]
    all_theirs = [t for times in theirs.values() for t in times]
    ratio = round(statistics.median(all_ours) / statistics.median(all_theirs), 3)
    data = {
        "dockyard config": summary(all_ours),
        "kamal config": summary(all_theirs),
        "per_app": {n: {"dockyard": summary(ours[n]), "kamal": summary(theirs[n])} for n in APPS},
        "ratio": ratio,
        "target": 0.25,
    }
    path = write_result("config", data)
    ours_median, theirs_median = (
        data["dockyard config"]["median_s"],
        data["kamal config"]["median_s"],
    )
    print(f"dockyard config {ours_median}s, kamal config {theirs_median}s: "
          f"ratio {ratio} (target < 0.25) -> {path}")  # fmt: skip


if __name__ == "__main__":
    main()
