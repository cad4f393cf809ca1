"""`cron list|runs|run|logs|pause|resume` on the jobs' host, as the CLI runs them
(docs/cron.md).

    jobs = listing(session)            # [JobStatus]: schedule, next tick, last result
    records = runs(session, "nightly") # [RunRecord], oldest tick first
    tick = run_now(session, "nightly") # a run now, under the job's lock: its tick's name
    tail = log(session, "nightly")     # (tick, its log tail): the newest run's, by default
    pause(session, "nightly"); resume(session, "nightly")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dockyard.commands import cron as cron_commands
from dockyard.commands.base import Command
from dockyard.errors import NotFoundError, UsageError
from dockyard.facts.cron import RunRecord
from dockyard.workflows.cron import scheduler
from dockyard.workflows.server import Server
from dockyard.workflows.session import Session

FINISHED = ("ok", "failed", "timed-out", "replaced")
_TICK = re.compile(r"\A[0-9A-Za-z-]{1,40}\Z")


@dataclass(frozen=True)
class JobStatus:
    name: str
    schedule: str
    host: str
    next_tick: str  # ISO time in the job's zone, "" if it never comes
    last: RunRecord | None  # the newest finished run


def runs(session: Session, job: str | None = None) -> list[RunRecord]:
    config = session.config
    host = _host(session, job)

    async def read(server: Server) -> list[RunRecord]:
        return await scheduler.runs(server, config, [job] if job else [])

    return session.on_hosts([host], read)[host]


def run_now(session: Session, job: str) -> str:
    command = cron_commands.run_now(session.config.runtime, _app(session), job)
    return _on_jobs_host(session, job, command, "starting the run").strip()


def log(session: Session, job: str, tick: str | None = None) -> tuple[str, str]:
    if tick is not None and not _TICK.match(tick):
        raise UsageError(f"{tick!r} is not a tick's name (like 20260301T031000)")
    command = cron_commands.run_log(_app(session), job, tick)
    first, _, rest = _on_jobs_host(session, job, command, "reading the run's log").partition("\n")
    if not first.startswith("#run "):
        which = f"{job}@{tick}" if tick else job
        raise NotFoundError(f"no log of {which} yet: see `dockyard cron runs {job}`")
    return first.removeprefix("#run "), rest


def pause(session: Session, job: str) -> None:
    _on_jobs_host(session, job, cron_commands.pause(_app(session), job), "pausing the job")


def resume(session: Session, job: str) -> None:
    _on_jobs_host(session, job, cron_commands.resume(_app(session), job), "resuming the job")


def _app(session: Session) -> str:
    return session.config.service_and_destination


def _host(session: Session, job: str | None) -> str:
    config = session.config
    if not config.dockyard.cron:
        raise UsageError("the app has no jobs: add them under x-dockyard/cron (docs/cron.md)")
    if job is not None and job not in config.dockyard.cron:
        known = ", ".join(config.dockyard.cron)
        raise UsageError(f"no job named {job} (jobs: {known})")
    return next(iter(config.dockyard.cron.values())).host


def _on_jobs_host(session: Session, job: str, command: Command, what: str) -> str:
    host = _host(session, job)

    async def step(server: Server) -> str:
        with server.step(what, "nothing was changed"):
            return (await server.run(command)).stdout

    return session.on_hosts([host], step)[host]


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
