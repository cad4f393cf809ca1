"""`details`, `audit` and `remove`: the whole app on its servers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from dockyard.cli.load import load
from dockyard.cli.options import global_options
from dockyard.cli.questions import REMOVE_REFUSAL, removal_question
from dockyard.cli.render import ask, show
from dockyard.plan.overview import ContainerDetail
from dockyard.workflows.app import overview
from dockyard.workflows.app.remove import remove_everything


@click.command("details")
@global_options
@click.option("--json", "as_json", is_flag=True)
def details_command(as_json: bool, **kwargs: Any) -> None:
    """Show the proxy, app and accessory containers on each host: the app's with their version,
    proxy slot (live: the one that serves) and health (its health path answering now)."""
    found = overview.details(load(kwargs, needs_version=False))
    if as_json:
        show({host: [asdict(row) for row in rows] for host, rows in found.items()}, True)
        return
    lines = {
        host: [line for row in rows for line in _detail_lines(row)] for host, rows in found.items()
    }
    show(lines, False)


def _detail_lines(row: ContainerDetail) -> list[str]:
    """The row's line, then its warnings, a line each."""
    return [_detail_line(row), *row.warnings]


def _detail_line(row: ContainerDetail) -> str:
    """`app web  demo-web-v2  running  registry/demo:v2  version v2  slot a (live)  healthy…`"""
    parts = [row.kind if row.role is None else f"{row.kind} {row.role}", row.name, row.state]
    if row.image:
        parts.append(row.image)
    if row.version:
        parts.append(f"version {row.version}")
    if row.slot:
        parts.append(f"slot {row.slot}" + (" (live)" if row.live else ""))
    if row.health:
        parts.append(row.health)
    return "  ".join(parts)


@click.command("audit")
@global_options
@click.option("--json", "as_json", is_flag=True)
def audit_command(as_json: bool, **kwargs: Any) -> None:
    """Show the last 50 lines of each host's audit log."""
    show(overview.audit(load(kwargs, needs_version=False)), as_json)


@click.command("remove")
@global_options
@click.option("-y", "--confirmed", is_flag=True, help="Don't ask for confirmation.")
def remove_command(confirmed: bool, **kwargs: Any) -> None:
    """Remove the app's containers, images, env files and routes from its servers, and its
    accessories with their data directories; log the servers out of the registry.

    The proxy goes too (with its image), unless other apps are still routed through it; so does
    the network, once nothing is on it. What stays on purpose is listed, a line each: the
    proxy's data volume (TLS certificates), the audit log, the accessories' backups.
    """
    session = load(kwargs, needs_version=False)
    question = removal_question(session, accessories=True)
    ask(question, confirmed=confirmed, refusal=REMOVE_REFUSAL)
    removed = remove_everything(session)
    service = session.config.service
    show({h: f"removed {service}; {what}" for h, what in removed.app.items()}, False)
    if session.config.accessories:  # the question above covered them (Kamal's remove does too)
        show(removed.accessories, False)
    show(removed.logged_out, False)
    show({h: lines for h, lines in removed.kept.items() if lines}, False)
