"""Run records of scheduled jobs, as commands/cron.py read_runs prints them (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunRecord:
    """One tick of one job: `<job>@<tick>`. state: starting, running, ok, failed, timed-out,
    replaced, skipped (forbid), paused, missed, lost (its processes ended without recording
    the end); mode: scheduled, caught-up or manual."""

    job: str
    tick: str
    at: int  # the tick, in seconds since the epoch
    state: str
    mode: str = "scheduled"
    release: str = ""
    started: int | None = None
    ended: int | None = None
    exit: int | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.job}@{self.tick}"

    @property
    def duration(self) -> int | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started


def parse_runs(text: str) -> list[RunRecord]:
    """One record a line, key=value pairs tab-separated; oldest tick first. A line without
    a job, tick or state (a record being rewritten) is left out."""
    found = []
    for line in text.splitlines():
        fields = dict(p.split("=", 1) for p in line.split("\t") if "=" in p)
        if not all(fields.get(k) for k in ("job", "tick", "state", "at")):
            continue
        found.append(
            RunRecord(
                job=fields["job"],
                tick=fields["tick"],
                at=_int(fields["at"]) or 0,
                state=fields["state"],
                mode=fields.get("mode", "scheduled"),
                release=fields.get("release", ""),
                started=_int(fields.get("started")),
                ended=_int(fields.get("ended")),
                exit=_int(fields.get("exit")),
                reason=fields.get("reason", ""),
            )
        )
    return sorted(found, key=lambda r: (r.at, r.job))


def parse_running(text: str, mark: str) -> list[str]:
    """`<job>@<tick>` of each record path listed after the mark (runs/<job>/<tick>)."""
    _, _, after = text.partition(mark)
    names = []
    for line in after.split():
        parts = line.strip().split("/")
        if len(parts) == 3 and parts[0] == "runs":
            names.append(f"{parts[1]}@{parts[2]}")
    return names


def parse_last(text: str, mark: str) -> int | None:
    """The last second a stopped scheduler looked at (the line `<mark>N` stop_scheduler
    prints), None if it had not looked at any."""
    for line in text.splitlines():
        if line.startswith(mark):
            return _int(line.removeprefix(mark).strip())
    return None


def parse_scheduler_state(text: str) -> str:
    """running, stopped or none (no cron directory), from read_status's first line."""
    first = text.partition("\n")[0].strip()
    return first.removeprefix("scheduler=") if first.startswith("scheduler=") else "none"


def _int(text: str | None) -> int | None:
    return int(text) if text and text.lstrip("-").isdigit() else None
