"""`deploy`, `redeploy`, `setup`, `rollback` and `app boot` as the CLI runs them: the plan from
the config and the user's selection, then ship the image and deploy it.

    released = deploy(session, build=True)        # Released(version, booted): who serves what
    released = setup(session, build=True)         # the engine and accessories first
    released = rollback(session, None)            # to the version that served before
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockyard.commands.caddy_config import AppRoute
from dockyard.errors import DockyardError, UsageError
from dockyard.plan import routes
from dockyard.plan.deploy import DeployPlan
from dockyard.plan.from_config import deploy_plan
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.accessories import booting
from dockyard.workflows.accessories import lifecycle as accessories
from dockyard.workflows.app.containers import running_versions
from dockyard.workflows.balancer import manage as balancer_workflow
from dockyard.workflows.cron import scheduler as cron_scheduler
from dockyard.workflows.delivery.ship import ship
from dockyard.workflows.deploy import deploy as deploy_workflow
from dockyard.workflows.deploy import rollback as rollback_workflow
from dockyard.workflows.deploy.boot import Booted
from dockyard.workflows.deploy.deploy import DeployOptions
from dockyard.workflows.lock import run_locked
from dockyard.workflows.proxy.ownership import refuse_taken_routes
from dockyard.workflows.servers.bootstrap import bootstrap_engine
from dockyard.workflows.session import Session, performer, token
from dockyard.workflows.swarm import accessories as swarm_accessories
from dockyard.workflows.swarm import release as swarm_release

Before = Callable[[AsyncsshTransport], Awaitable[None]]
SETUP_AGAIN = (
    "the app was not deployed: fix the cause and run `dockyard setup` again (it boots what is "
    "not running and deploys)"
)


@dataclass(frozen=True)
class Released:
    version: str
    booted: tuple[Booted, ...]  # each role on each host: the container now serving
    warnings: tuple[str, ...] = ()  # one line each: what failed once it served (a prune)
    services: tuple[tuple[str, str], ...] = ()  # with backend: swarm, (manager, "svc: how")


def _on_swarm(session: Session) -> bool:
    return session.config.dockyard.backend == "swarm"


def _swarm_released(rolled: swarm_release.Rolled) -> Released:
    rows = tuple((rolled.manager, f"{name}: {said}") for name, said in rolled.services.items())
    return Released(rolled.version, (), rolled.warnings, services=rows)


def _swarm_accessories(session: Session) -> None:
    """`setup` on the swarm boots each accessory as a service pinned to its host, before the
    app (as over SSH): every one is tried, and when one failed the app is not deployed."""
    config, progress = session.config, session.progress
    if not config.accessories:
        return
    secrets = session.secret_values(accessories.secret_names(config))
    contexts = booting.contexts(config, secrets, root=session.root)
    progress.step(f"Booting accessories: {', '.join(a.name for a in config.accessories)}")
    outcomes = run_locked(session, lambda t: swarm_accessories.boot_all(t, contexts))
    for outcome in outcomes:
        progress.host(outcome.host, f"{outcome.accessory}: {outcome.said}")
    failed = booting.failures(outcomes, SETUP_AGAIN)
    if failed is not None:
        raise failed


def plan_for(session: Session) -> DeployPlan:
    config, selection = session.config, session.selection
    names = [
        ref.secret_name
        for role in config.roles
        if selection.role_ok(role.name)
        for host in role.host_names
        for ref in config.env_for(role.name, host).secrets
    ]
    certificates = [r.proxy.custom_certificate for r in config.roles if r.proxy]
    names += [n for c in certificates if c for n in (c.certificate_pem, c.private_key_pem)]
    return deploy_plan(
        config,
        session.secret_values(names),
        selection=selection,
        token=token(),
        performer=performer(),
        hooks_root=str(session.root),
    )


def options_for(session: Session, command: str, **kwargs: Any) -> DeployOptions:
    request = session.request
    return DeployOptions(
        command=command,
        skip_hooks=request.skip_hooks,
        lock_wait=request.lock_wait,
        lock_interval=request.lock_interval,
        **kwargs,
    )


def deploy(
    session: Session, *, build: bool = True, no_cache: bool = False, take_over_routes: bool = False
) -> Released:
    """Ship, boot beside the old version, switch, drain, stop the old one (with backend:
    swarm, roll the swarm's services out to it: workflows/swarm/release.py)."""
    if _on_swarm(session):
        return _swarm_released(
            swarm_release.deploy(session, "deploy", build=build, no_cache=no_cache)
        )
    options = options_for(session, "deploy", take_over_routes=take_over_routes)
    return _release(session, options, build=build, no_cache=no_cache)


def redeploy(
    session: Session, *, build: bool = True, no_cache: bool = False, take_over_routes: bool = False
) -> Released:
    """A deploy without booting the proxy. It prunes, as a deploy does (Kamal's redeploy does
    not), so that redeploying keeps the servers' disks flat too."""
    if _on_swarm(session):
        return _swarm_released(
            swarm_release.deploy(session, "redeploy", build=build, no_cache=no_cache)
        )
    options = options_for(session, "redeploy", boot_proxy=False, take_over_routes=take_over_routes)
    return _release(session, options, build=build, no_cache=no_cache)


def setup(
    session: Session, *, build: bool = True, no_cache: bool = False, take_over_routes: bool = False
) -> Released:
    """Install the container engine where it is missing, boot the accessories (and their backup
    schedules), then deploy the app (take_over_routes: for the accessories' routes too). Run
    again after a failure, it resumes: accessories that run are kept, any other is booted (a
    container a failed run left is replaced). Every accessory is tried; when one fails, each
    outcome is listed and the app is not deployed. With backend: swarm: the engine, then the
    swarm formed or joined, the accessories booted as services, then the app deployed to it."""
    if _on_swarm(session):
        hosts = list(session.config.all_hosts)
        session.run(lambda transport: bootstrap_engine(session, transport, hosts))
        swarm_release.form(session)
        _swarm_accessories(session)
        return _swarm_released(
            swarm_release.deploy(session, "setup", build=build, no_cache=no_cache)
        )
    config, progress = session.config, session.progress
    accessory_secrets = session.secret_values(accessories.secret_names(config))
    contexts = booting.contexts(config, accessory_secrets, root=session.root)
    accessory_routes = routes.merged(*(c.routes_on(c.accessory.hosts) for c in contexts))

    async def before(transport: AsyncsshTransport) -> None:
        edges = config.dockyard.load_balancer.hosts if config.dockyard.load_balancer else ()
        await bootstrap_engine(session, transport, list(dict.fromkeys([*config.all_hosts, *edges])))
        if config.accessories:  # before the app, as Kamal does: the app may need its database
            progress.step(f"Booting accessories: {', '.join(a.name for a in config.accessories)}")
            outcomes = await booting.boot_all(
                transport, config, accessory_secrets, root=session.root,
                take_over_routes=take_over_routes,
            )  # fmt: skip
            for outcome in outcomes:  # every one, booted or not, before any error
                progress.host(outcome.host, f"{outcome.accessory}: {outcome.said}")
            failed = booting.failures(outcomes, SETUP_AGAIN)
            if failed is not None:
                raise failed

    options = options_for(session, "setup", take_over_routes=take_over_routes)
    return _release(
        session, options, build=build, no_cache=no_cache, before=before,
        accessory_routes=accessory_routes,
    )  # fmt: skip


def _release(
    session: Session,
    options: DeployOptions,
    *,
    build: bool,
    no_cache: bool,
    before: Before | None = None,
    accessory_routes: Mapping[str, Sequence[AppRoute]] | None = None,
) -> Released:
    plan = plan_for(session)
    if not plan.hosts:
        raise DockyardError("no host matches the given --hosts/--roles; nothing to deploy")

    async def work(transport: AsyncsshTransport) -> deploy_workflow.DeployResult:
        await routes_free(transport, plan, options, accessory_routes)
        if before is not None:  # on the same connections (setup's engine check)
            await before(transport)
        built = build and not session.config.prebuilt_image
        await ship(session, transport, plan.hosts, build=built, no_cache=no_cache)
        session.progress.step(f"Deploying {plan.service} {plan.version} to {', '.join(plan.hosts)}")
        result = await deploy_workflow.deploy(
            transport, plan, options, session.progress.host, scheduler_update(session, transport)
        )
        await update_edges(session, transport)
        return result

    result = session.run(work)
    return Released(plan.version, result.booted, result.warnings)


def scheduler_update(
    session: Session, transport: AsyncsshTransport
) -> deploy_workflow.BeforeRelease | None:
    """With jobs, the job scheduler's update: the deploy's last step under its lock (a deploy
    waiting for the lock never sees it half done)."""
    if not session.config.dockyard.cron:
        return None
    return lambda: cron_scheduler.update(transport, session.config)


async def update_edges(session: Session, transport: AsyncsshTransport) -> None:
    """With x-dockyard/load_balancer, boot the edges or load their new config (the pool of
    web hosts changed) once the web hosts serve the new version."""
    balancer = session.config.dockyard.load_balancer
    if balancer is None:
        return
    session.progress.step(f"Updating the load balancer edges: {', '.join(balancer.hosts)}")
    secrets = balancer_workflow.edge_secrets(session)
    booted = await balancer_workflow.boot_on(
        transport, session.config, secrets, session.progress.host
    )
    for edge, changed in booted.items():
        session.progress.host(edge, "edge updated" if changed else "edge up to date")


async def routes_free(
    transport: AsyncsshTransport,
    plan: DeployPlan,
    options: DeployOptions,
    accessory_routes: Mapping[str, Sequence[AppRoute]] | None = None,
) -> None:
    """Before anything changes on any server (the build, the pull, the lock, the hooks, setup's
    engine and accessories): refuse a route of ours that would take what another app's route
    serves, unless --take-over-routes (workflows/proxy/ownership.py)."""
    if not options.take_over_routes:
        ours = routes.merged(routes.deploy_routes(plan), accessory_routes or {})
        await refuse_taken_routes(transport, plan.engine, ours)


def rollback(
    session: Session, version: str | None = None, *, take_over_routes: bool = False
) -> Released:
    """Bring back `version` (else --version, else the version that served before the current
    one) at once: its kept containers start again. No prune, as in Kamal: a rollback changes
    which kept container runs, never how many are kept, so there is nothing new to remove.
    With backend: swarm, any version the swarm still records (workflows/swarm/release.py)."""
    if _on_swarm(session):
        return _swarm_released(swarm_release.rollback(session, version))
    wanted = version or session.request.version
    if wanted is None:
        # Only names and hosts are needed to find the previous version on the primary host.
        config = session.config
        wanted = session.run(lambda t: rollback_workflow.find_previous_version(t, config))
        session.progress.step(f"Rolling back to {wanted}, the version that served before")
    again = session.with_version(wanted)
    plan = rollback_workflow.restarting(plan_for(again))
    options = options_for(
        again, "rollback", boot_proxy=False, prune=False, take_over_routes=take_over_routes
    )

    async def work(transport: AsyncsshTransport) -> deploy_workflow.DeployResult:
        await routes_free(transport, plan, options)
        return await deploy_workflow.deploy(transport, plan, options, again.progress.host)

    return Released(wanted, again.run(work).booted)


def boot_again(session: Session, *, take_over_routes: bool = False) -> Released:
    """`app boot`: the --version given, else the one running on the primary host, booted again
    beside each running container, health-gated, switched, the old one drained and stopped.
    No image pull, no build, no pre/post-deploy hooks (the app-boot ones run)."""
    again = session.with_version(session.request.version or running_version(session))
    plan = plan_for(again)
    if not plan.hosts:
        raise UsageError("no host matches the given --hosts/--roles; nothing to boot")
    options = options_for(
        again, "app", boot_proxy=False, prune=False, deploy_hooks=False,
        take_over_routes=take_over_routes,
    )  # fmt: skip
    again.progress.step(f"Booting {plan.service} {plan.version} on {', '.join(plan.hosts)}")

    async def work(transport: AsyncsshTransport) -> deploy_workflow.DeployResult:
        await routes_free(transport, plan, options)
        return await deploy_workflow.deploy(transport, plan, options, again.progress.host)

    return Released(plan.version, again.run(work).booted)


def running_version(session: Session) -> str:
    """The version the primary role runs on the primary host."""
    config = session.config
    host = config.primary_host
    if host is None:
        raise UsageError("the config has no host for its primary role; nothing to boot")
    role = config.primary_role_name
    running = session.on_hosts([host], lambda server: running_versions(server, config))[host]
    if role not in running:
        raise DockyardError(
            f"{host}: no {role} container runs, so there is no version to boot again; "
            "give one with --version"
        )
    return running[role]
