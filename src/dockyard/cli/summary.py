"""The summary a deploy, a rollback or an app boot prints at the end (apart from cli/render.py,
so that only these commands import the deploy workflows)."""

from __future__ import annotations

from dockyard.cli.output import Printer
from dockyard.workflows.deploy.release import Released


def show_release(printer: Printer, done: Released, verb: str, *, details: bool = False) -> None:
    """`Deployed v2 in 3.1s` and the container serving each role on each host; with details,
    the versions each replaced and (-v) how long from healthy to switched."""
    rows = []
    for b in done.booted:
        replaced = f" (replaced {', '.join(b.stopped)})" if details and b.stopped else ""
        rows.append((b.host, f"{b.role}: {b.name}{replaced}"))
    rows += done.services
    printer.summary(rows, f"{verb} {done.version}")
    for warning in done.warnings:
        printer.warning(warning)
    if details and printer.verbose:
        for b in done.booted:
            if b.switched_at is not None:
                gap = b.switched_at - b.healthy_at
                printer.host(b.host, f"{b.role}: healthy to switched in {gap:.3f}s")
