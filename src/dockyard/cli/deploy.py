"""`deploy`, `redeploy`, `rollback` and `setup`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from dockyard.cli.build import ship
from dockyard.cli.context import AppContext, performer, token
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.errors import DockyardError
from dockyard.plan.deploy import DeployPlan
from dockyard.plan.from_config import deploy_plan
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.deploy import rollback as rollback_workflow
from dockyard.workflows.deploy.deploy import DeployOptions, DeployResult, deploy


def plan_for(ctx: AppContext) -> DeployPlan:
    config = ctx.config
    names = [
        ref.secret_name
        for role in config.roles
        if ctx.selection.role_ok(role.name)
        for host in role.host_names
        for ref in config.env_for(role.name, host).secrets
    ]
    certificates = [r.proxy.custom_certificate for r in config.roles if r.proxy]
    names += [n for c in certificates if c for n in (c.certificate_pem, c.private_key_pem)]
    return deploy_plan(
        config,
        ctx.secret_values(names),
        selection=ctx.selection,
        token=token(),
        performer=performer(),
        hooks_root=str(ctx.root),
    )


def run_deploy(
    ctx: AppContext,
    options: DeployOptions,
    *,
    build: bool = True,
    no_cache: bool = False,
    before: Callable[[AsyncsshTransport], Awaitable[None]] | None = None,
) -> DeployResult:
    plan = plan_for(ctx)
    if not plan.hosts:
        raise DockyardError("no host matches the given --hosts/--roles; nothing to deploy")

    async def work(transport: AsyncsshTransport) -> DeployResult:
        if before is not None:  # on the same connections (setup's engine check)
            await before(transport)
        await ship(ctx, transport, plan.hosts, build=build, no_cache=no_cache)
        ctx.printer.step(f"Deploying {plan.service} {plan.version} to {', '.join(plan.hosts)}")
        return await deploy(transport, plan, options, report=ctx.printer.host)

    result = ctx.run(work)
    summary_rows = [
        (
            b.host,
            f"{b.role}: {b.name}" + (f" (replaced {', '.join(b.stopped)})" if b.stopped else ""),
        )
        for b in result.booted
    ]
    done = {"setup": "Set up", "redeploy": "Redeployed"}.get(options.command, "Deployed")
    ctx.printer.summary(summary_rows, f"{done} {plan.version}")
    if ctx.options.verbose:
        for b in result.booted:
            if b.switched_at is not None:
                gap = b.switched_at - b.healthy_at
                ctx.printer.host(b.host, f"{b.role}: healthy to switched in {gap:.3f}s")
    return result


def deploy_options(opts: GlobalOptions, command: str, **kwargs: Any) -> DeployOptions:
    return DeployOptions(
        command=command,
        skip_hooks=opts.skip_hooks,
        lock_wait=opts.lock_wait_timeout if opts.lock_wait else 0,
        lock_interval=opts.lock_wait_interval,
        **kwargs,
    )


@click.command("deploy")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def deploy_command(skip_push: bool, no_cache: bool, **kwargs: Any) -> None:
    """Deploy the app with zero downtime: ship, boot beside the old, switch, drain, stop old."""
    opts = GlobalOptions.from_kwargs(kwargs)
    options = deploy_options(opts, "deploy")
    run_deploy(AppContext.load(opts), options, build=not skip_push, no_cache=no_cache)


@click.command("redeploy")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True)
def redeploy_command(skip_push: bool, no_cache: bool, **kwargs: Any) -> None:
    """Deploy without booting the proxy and without pruning."""
    opts = GlobalOptions.from_kwargs(kwargs)
    options = deploy_options(opts, "redeploy", boot_proxy=False, prune=False)
    run_deploy(AppContext.load(opts), options, build=not skip_push, no_cache=no_cache)


@click.command("setup")
@global_options
@click.option("-P", "--skip-push", is_flag=True, help="Don't build; ship the image as it is.")
@click.option("--no-cache", is_flag=True)
def setup_command(skip_push: bool, no_cache: bool, **kwargs: Any) -> None:
    """Install the container engine where it is missing, boot the accessories (and their
    backup schedules), then deploy the app."""
    opts = GlobalOptions.from_kwargs(kwargs)
    ctx = AppContext.load(opts)
    from dockyard.cli.server import bootstrap_engine
    from dockyard.workflows.accessories import lifecycle as accessory

    config = ctx.config
    accessory_secrets = ctx.secret_values(accessory.secret_names(config))

    async def before(transport: AsyncsshTransport) -> None:
        await bootstrap_engine(ctx, transport, list(config.all_hosts))
        if config.accessories:  # before the app, as Kamal does: the app may need its database
            ctx.printer.step(
                f"Booting accessories: {', '.join(a.name for a in config.accessories)}"
            )
            booted = await accessory.boot_all(transport, config, accessory_secrets, root=ctx.root)
            for name, hosts in booted.items():
                for host, outcome in hosts.items():
                    ctx.printer.host(host, f"{name}: {outcome}")

    run_deploy(ctx, deploy_options(opts, "setup"), build=not skip_push, no_cache=no_cache,
               before=before)  # fmt: skip


@click.command("rollback")
@global_options
@click.argument("target", metavar="[VERSION]", required=False)
def rollback_command(target: str | None, **kwargs: Any) -> None:
    """Bring back VERSION (default: the version that served before the current one) at once."""
    opts = GlobalOptions.from_kwargs(kwargs)
    version = target or opts.version
    if version is None:
        # Only names and hosts are needed to find the previous version on the primary host.
        ctx = AppContext.load(opts, version="unknown")
        version = ctx.run(lambda t: rollback_workflow.find_previous_version(t, ctx.config))
        ctx.printer.step(f"Rolling back to {version}, the version that served before")
    ctx = AppContext.load(opts, version=version)
    plan = rollback_workflow.restarting(plan_for(ctx))
    options = deploy_options(opts, "rollback", boot_proxy=False, prune=False)

    async def work(transport: AsyncsshTransport) -> DeployResult:
        return await deploy(transport, plan, options, report=ctx.printer.host)

    result = ctx.run(work)
    rows = [(b.host, f"{b.role}: {b.name}") for b in result.booted]
    ctx.printer.summary(rows, f"Rolled back to {version}")
