"""The app's job scheduler on its host: installed or updated (deploy, setup), stopped
(remove; and on every other host, so that a job moved by `host:` never has two schedulers),
and its run records read (docs/cron.md).

    warnings = await update(transport, config)   # by a deploy, under its lock, after its last trip
    running = await stop_everywhere(transport, config)   # {host: ["job@tick", ...]}
    records = await runs(server, config)   # [RunRecord], oldest tick first
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import cron as cron_commands
from dockyard.config.objects import Config
from dockyard.engine import Engine
from dockyard.facts.cron import (
    RunRecord,
    parse_last,
    parse_running,
    parse_runs,
)
from dockyard.facts.crontab import why_not_set
from dockyard.plan.cron import cron_plan
from dockyard.ssh.transport import Transport
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server

AFTER_UPDATE = (
    "the app is deployed, but its job scheduler may not run there: run `dockyard deploy` again"
)


async def update(transport: Transport, config: Config) -> tuple[str, ...]:
    """The scheduler stopped on every other host of the app, then installed (scripts, job
    files, its crontab lines that start it again after a reboot) and started, or restarted if
    its script changed, on the jobs' host; one started there looks at the seconds after the
    last one a stopped scheduler looked at (a move: the ticks in between are dispatched there,
    as missed or run, docs/cron.md). The warning when its crontab lines could not be set."""
    plan = cron_plan(config)
    if plan is None:
        return ()
    host = plan.target.host
    others = [h for h in config.all_hosts if h != host]
    servers = [Server(transport, h, config.runtime) for h in others]
    lasts = await on_servers(servers, lambda server: _stopped(server, config, None))
    looked_at = [
        n for out in lasts.values() if (n := parse_last(out, cron_commands.LAST_MARK)) is not None
    ]
    handed_over = max(looked_at, default=None)
    install = cron_commands.install_scheduler(
        plan.engine, plan.target.app, plan.jobs, handed_over=handed_over
    )
    server = Server(transport, host, config.runtime)
    with server.step("starting the job scheduler", AFTER_UPDATE):
        done = await server.run(install)
    why = why_not_set(done.stdout)
    if why is None:
        return ()
    return (
        f"{host}: the job scheduler will not start again by itself after a reboot ({why}): "
        "from a reboot to the next deploy its ticks are missed (docs/cron.md)",
    )


async def stop_on(server: Server, config: Config, *, runs_too: bool = False) -> list[str]:
    """The scheduler stopped here (nothing if it has none); the runs still going, which go on
    (or are stopped too: `runs_too`, when the app is removed)."""
    stdout = await _stopped(server, config, server.engine if runs_too else None)
    return parse_running(stdout, cron_commands.RUNNING_MARK)


async def _stopped(server: Server, config: Config, engine: Engine | None) -> str:
    with server.step("stopping the job scheduler", "nothing else was changed"):
        app = config.service_and_destination
        return (await server.run(cron_commands.stop_scheduler(app, engine))).stdout


async def stop_everywhere(transport: Transport, config: Config) -> dict[str, list[str]]:
    servers = [Server(transport, h, config.runtime) for h in config.all_hosts]
    return await on_servers(servers, lambda server: stop_on(server, config))


async def runs(server: Server, config: Config, jobs: Sequence[str] = ()) -> list[RunRecord]:
    with server.step("reading the job records", "nothing was changed"):
        result = await server.run(cron_commands.read_runs(config.service_and_destination, jobs))
    return parse_runs(result.stdout)
