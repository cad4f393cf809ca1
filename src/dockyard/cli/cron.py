"""`dockyard cron list | runs [NAME] | run NAME | logs NAME [RUN] | pause NAME | resume NAME`:
the app's scheduled jobs and their run records
(docs/cron.md)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.suggest import SuggestingGroup
from dockyard.facts.cron import RunRecord
from dockyard.workflows.cron import manage


@click.group("cron", cls=SuggestingGroup)
def command() -> None:
    """Scheduled jobs: exactly once per tick, with a record of every run."""


@command.command("list")
@global_options
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool, **kwargs: Any) -> None:
    """Each job: its schedule, its next tick and its last result."""
    jobs = manage.listing(load(kwargs, needs_version=False))
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(j) for j in jobs], indent=2))
        return
    for job in jobs:
        last = _line(job.last) if job.last else "no run yet"
        click.echo(f"{job.name}  {job.schedule}  on {job.host}  next {job.next_tick or 'never'}"
                   f"  last: {last}")  # fmt: skip


@command.command("runs")
@global_options
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
def runs_command(name: str | None, as_json: bool, **kwargs: Any) -> None:
    """The record of each tick (of the job NAME), oldest first."""
    records = manage.runs(load(kwargs, needs_version=False), name)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
        return
    for record in records:
        click.echo(f"{record.name}  {_line(record)}")


def _line(r: RunRecord) -> str:
    parts = [r.state]
    if r.mode != "scheduled":
        parts.append(f"({r.mode})")
    if r.release:
        parts.append(f"release {r.release}")
    if r.exit is not None:
        parts.append(f"exit {r.exit}")
    if r.duration is not None:
        parts.append(f"{r.duration}s")
    if r.reason:
        parts.append(f"- {r.reason}")
    return " ".join(parts)


@command.command("run")
@global_options
@click.argument("name")
def run_command(name: str, **kwargs: Any) -> None:
    """Run the job NAME now, under its lock (its concurrency holds), in the background."""
    tick = manage.run_now(load(kwargs, needs_version=False), name)
    click.echo(f"Started {name}@{tick}: see `dockyard cron runs {name}`")


@command.command("logs")
@global_options
@click.argument("name")
@click.argument("run", required=False)
def logs_command(name: str, run: str | None, **kwargs: Any) -> None:
    """The last lines a run of NAME printed (RUN: its tick, as `cron runs` names it after the
    @; default: the newest run)."""
    tick, tail = manage.log(load(kwargs, needs_version=False), name, run)
    click.echo(f"{name}@{tick}:")
    click.echo(tail.rstrip("\n"))


@command.command("pause")
@global_options
@click.argument("name")
def pause_command(name: str, **kwargs: Any) -> None:
    """Skip the ticks of NAME (each is recorded as paused) until it is resumed."""
    manage.pause(load(kwargs, needs_version=False), name)
    click.echo(f"Paused {name}")


@command.command("resume")
@global_options
@click.argument("name")
def resume_command(name: str, **kwargs: Any) -> None:
    """Run the ticks of NAME again."""
    manage.resume(load(kwargs, needs_version=False), name)
    click.echo(f"Resumed {name}")
