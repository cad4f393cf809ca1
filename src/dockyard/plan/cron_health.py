"""What `details` warns about an app's scheduled jobs (pure), as it warns about stale backups:
a scheduler that does not run, and each job's failed, timed-out, lost or missed runs since its
last good run (docs/cron.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from dockyard.facts.cron import RunRecord

BAD = ("failed", "timed-out", "lost", "missed")


def cron_warnings(
    host: str, scheduler: str, jobs: Iterable[str], records: Sequence[RunRecord]
) -> list[str]:
    """One `WARNING: ...` line for a scheduler that does not run, and one per job whose runs
    since its last ok run (oldest first in records) include bad ones."""
    lines = []
    if scheduler != "running":
        lines.append(
            f"WARNING: the job scheduler does not run on {host}: its ticks are missed until "
            "`dockyard deploy` starts it"
        )
    for job in jobs:
        warning = _job_warning(job, [r for r in records if r.job == job])
        if warning:
            lines.append(warning)
    return lines


def _job_warning(job: str, records: list[RunRecord]) -> str:
    oks = [i for i, r in enumerate(records) if r.state == "ok"]
    since = records[oks[-1] + 1 :] if oks else records
    bad = [r for r in since if r.state in BAD]
    if not bad:
        return ""
    counts = Counter(r.state for r in bad)
    said = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    newest = bad[-1]
    how = f" (exit {newest.exit})" if newest.exit is not None else ""
    since_when = "since its last ok run" if oks else "and no ok run yet"
    return (
        f"WARNING: cron {job}: {said} {since_when}; the newest {newest.name} {newest.state}"
        f"{how}: see `dockyard cron runs {job}` and `dockyard cron logs {job}`"
    )
