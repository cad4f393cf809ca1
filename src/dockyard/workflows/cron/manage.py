"""`cron list|runs` on the jobs' host, as the CLI runs them (docs/cron.md).

jobs = listing(session)            # [JobStatus]: schedule, next tick, last result
records = runs(session, "nightly") # [RunRecord], oldest tick first
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dockyard.errors import UsageError
from dockyard.facts.cron import RunRecord
from dockyard.workflows.cron import scheduler
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

FINISHED = ("ok", "failed", "timed-out", "replaced")


@dataclass(frozen=True)
class JobStatus:
    name: str
    schedule: str
    host: str
    next_tick: str  # ISO time in the job's zone, "" if it never comes
    last: RunRecord | None  # the newest finished run


def runs(session: Session, job: str | None = None) -> list[RunRecord]:
    config = session.config
    if not config.dockyard.cron:
        raise UsageError("the app has no jobs: add them under x-dockyard/cron (docs/cron.md)")
    if job is not None and job not in config.dockyard.cron:
        known = ", ".join(config.dockyard.cron)
        raise UsageError(f"no job named {job} (jobs: {known})")
    host = next(iter(config.dockyard.cron.values())).host

    async def read(server: Server) -> list[RunRecord]:
        return await scheduler.runs(server, config, [job] if job else [])

    return session.on_hosts([host], read)[host]


def listing(session: Session, now: datetime | None = None) -> list[JobStatus]:
    records = runs(session)
    found = []
    for name, job in session.config.dockyard.cron.items():
        at = (now or datetime.now(UTC)).astimezone(ZoneInfo(job.timezone))
        tick = job.schedule.next_after(at)
        done = [r for r in records if r.job == name and r.state in FINISHED]
        next_tick = tick.isoformat() if tick else ""
        last = done[-1] if done else None
        found.append(JobStatus(name, job.schedule.text, job.host, next_tick, last))
    return found
