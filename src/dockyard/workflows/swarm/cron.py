"""The app's scheduled jobs with x-dockyard/backend: swarm (docs/cron.md, docs/swarm.md): the
same scheduler as over SSH (workflows/cron/scheduler.py), on the jobs' host, a node of the
swarm; each tick's container joins the app's overlay network (plan/cron.py).

A deploy, redeploy, setup or rollback to the swarm, once the services run the version and under
its lock, switches each role's release pointer on the jobs' host (plan/swarm_cron.py), then
updates the scheduler; with no job in the config, a scheduler earlier jobs left is retired on
every node. `remove` and `app remove` stop it, its runs too, and remove the app's directory
(`~/.dockyard/apps/<app>`, as over SSH).

    warnings = await release_jobs(transport, config, secrets, rollback=False)
    said = await remove_jobs(transport, config)   # {host: what went}
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.commands.cron import retire_scheduler
from dockyard.commands.swarm import remove_stack_dir
from dockyard.config.objects import Config
from dockyard.plan.cron_target import cron_target
from dockyard.plan.swarm_cron import pointer_switches
from dockyard.ssh.transport import Transport
from dockyard.workflows.cron import scheduler
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server

NOT_SWITCHED = (
    "the services run the new version, but the jobs' ticks may still run the one before: "
    "run the deploy again"
)
NOT_RETIRED = (
    "the services run the new version, but a job scheduler earlier jobs left may still run "
    "there: run the deploy again"
)


async def release_jobs(
    transport: Transport, config: Config, secrets: Mapping[str, str], *, rollback: bool
) -> tuple[str, ...]:
    """The release pointers switched to config.version on the jobs' host, then the scheduler
    updated there (and stopped on the other nodes): its warnings. Without jobs, a scheduler
    earlier jobs left retired."""
    target = cron_target(config)
    if target is None:
        servers = [Server(transport, host, config.runtime) for host in config.all_hosts]
        app = config.service_and_destination
        await on_servers(servers, lambda server: _retire(server, app))
        return ()
    server = Server(transport, target.host, config.runtime)
    for switch in pointer_switches(config, secrets, keep_existing=rollback):
        with server.step(f"switching the jobs of {switch.role} to {config.version}",
                         NOT_SWITCHED):  # fmt: skip
            await server.run(switch.command, input=switch.secrets)
    return await scheduler.update(transport, config)


async def _retire(server: Server, app: str) -> None:
    with server.step("retiring the job scheduler", NOT_RETIRED):
        await server.run(retire_scheduler(app))


async def remove_jobs(transport: Transport, config: Config) -> dict[str, str]:
    """The scheduler stopped on every node, the runs still going stopped too, and the app's
    directory on each node removed (the job records with it): {host: what went}."""
    if not config.dockyard.cron:
        return {}
    app = config.service_and_destination

    async def stop(server: Server) -> str:
        stopped = await scheduler.stop_on(server, config, runs_too=True)
        with server.step("removing the job records", "run it again to finish"):
            await server.run(remove_stack_dir(f".dockyard/apps/{app}"))
        said = f"; its runs still going stopped: {', '.join(stopped)}" if stopped else ""
        return f"job scheduler removed{said}"

    servers = [Server(transport, host, config.runtime) for host in config.all_hosts]
    return await on_servers(servers, stop)
