"""`dockyard build push|pull|deliver|dev|create|remove|details` and the ship step of `deploy`.

    await ship(ctx, transport, hosts, build=True, no_cache=False)

builds the image (on builder.remote over SSH, or with this machine's engine), then gets it onto
`hosts`: straight over SSH, only the layers each lacks (`x-dockyard.delivery: ssh`), or through
the registry (push from the builder, pull on every server).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import click

from dockyard.cli.app import selected_hosts
from dockyard.cli.context import AppContext
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.config.model import Credential
from dockyard.plan.build import (
    build_spec,
    check_dev_output,
    dev_spec,
    dev_tags,
    parse_remote,
)
from dockyard.redaction import Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.delivery import build as build_workflow
from dockyard.workflows.delivery import deliver as deliver_workflow
from dockyard.workflows.delivery.deliver import BuilderHost


def registry_login(ctx: AppContext) -> tuple[str, str, Secret] | None:
    """(server, username, password) for `docker login`, or None (no auth)."""
    registry = ctx.config.registry
    if not registry.server or registry.local or not (registry.username and registry.password):
        return None
    username = _credential(ctx, registry.username)
    return (registry.server, str(username), Secret(_credential(ctx, registry.password)))


def _credential(ctx: AppContext, credential: Credential) -> str:
    return ctx.secrets.get(credential.secret) if credential.secret else credential.literal or ""


def delivers_by_ssh(ctx: AppContext) -> bool:
    return ctx.config.dockyard.delivery == "ssh"


@contextlib.asynccontextmanager
async def builder_host(ctx: AppContext, transport: AsyncsshTransport) -> AsyncIterator[BuilderHost]:
    """The builder: builder.remote over SSH (its own connection when its user or port differ
    from the servers'), else this machine."""
    engine = ctx.config.runtime
    if not ctx.config.builder.remote:
        yield BuilderHost(None, None, engine)
        return
    remote = parse_remote(ctx.config.builder.remote)
    options = transport.options
    user, port = remote.user or options.user, remote.port or options.port
    if (user, port) == (options.user, options.port):
        yield BuilderHost(transport, remote.host, engine)
        return
    async with AsyncsshTransport(replace(options, user=user, port=port)) as own:
        yield BuilderHost(own, remote.host, engine)


async def build_image(ctx: AppContext, builder: BuilderHost, *, no_cache: bool) -> None:
    config = ctx.config
    if config.builder.git_clone and build_workflow.uncommitted_changes(ctx.root):
        ctx.printer.step(
            "Uncommitted changes are not in the image: dockyard builds a clean copy of the git "
            "HEAD (commit them, or set builder.context: . to build the working tree)"
        )
    archive = build_workflow.pack_context(ctx.root, config.builder)
    spec = build_spec(config, no_cache=no_cache)
    secrets = ctx.secret_values(spec.secrets)
    await deliver_workflow.build(builder, spec, archive, secrets, ctx.printer.host)


def shipment(ctx: AppContext) -> deliver_workflow.Shipment:
    config = ctx.config
    return deliver_workflow.Shipment(
        tags=(config.absolute_image, config.latest_image),
        service=config.service,
        engine=config.runtime,
        by_ssh=delivers_by_ssh(ctx),
        local_registry_port=(config.registry.local_port or 5000) if config.registry.local else None,
        login=registry_login(ctx),
    )


async def ship(
    ctx: AppContext,
    transport: AsyncsshTransport,
    hosts: Sequence[str],
    *,
    build: bool,
    no_cache: bool = False,
) -> None:
    """deploy's first step: build (unless -P), then deliver; -P with a registry only pulls."""
    what, step, report = shipment(ctx), ctx.printer.step, ctx.printer.host
    if not build and not what.by_ssh and what.local_registry_port is None:
        await deliver_workflow.pull_everywhere(transport, hosts, what, step)
        return
    async with builder_host(ctx, transport) as builder:
        if build:
            await build_image(ctx, builder, no_cache=no_cache)
        await deliver_workflow.deliver_image(
            transport, builder, hosts, what, report, step, push=build
        )


# --- the commands ---------------------------------------------------------------------------------


def _load(kwargs: dict[str, Any]) -> AppContext:
    return AppContext.load(GlobalOptions.from_kwargs(kwargs))


@click.group("build")
def command() -> None:
    """Build and deliver the app image."""


@command.command("push")
@global_options
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def push_command(no_cache: bool, **kwargs: Any) -> None:
    """Build the image; push it to the registry (with delivery: ssh it stays on the builder)."""
    ctx = _load(kwargs)

    async def work(transport: AsyncsshTransport) -> None:
        async with builder_host(ctx, transport) as builder:
            await build_image(ctx, builder, no_cache=no_cache)
            what = shipment(ctx)
            if not what.by_ssh:  # a push is a delivery to no server
                await deliver_workflow.deliver_image(
                    transport, builder, [], what, ctx.printer.host, ctx.printer.step
                )

    ctx.run(work)
    ctx.printer.summary([], f"Built {ctx.config.absolute_image}")


@command.command("dev")
@global_options
@click.option(
    "--output",
    default="docker",
    show_default=True,
    help="docker: keep it in the builder's image store; registry: also push the -dirty tags.",
)
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def dev_command(output: str, no_cache: bool, **kwargs: Any) -> None:
    """Build the working tree (uncommitted changes included) as <image>:<version>-dirty."""
    check_dev_output(output)
    ctx = _load(kwargs)
    tags = dev_tags(ctx.config)

    async def work(transport: AsyncsshTransport) -> None:
        async with builder_host(ctx, transport) as builder:
            await build_dev(ctx, builder, no_cache=no_cache)
            if output == "registry":
                await deliver_workflow.push_to_registry(
                    builder, tags, registry_login(ctx), ctx.printer.host
                )

    ctx.run(work)
    where = "pushed" if output == "registry" else "in the builder's image store"
    ctx.printer.summary([], f"Built {tags[0]} from the working tree ({where})")


async def build_dev(ctx: AppContext, builder: BuilderHost, *, no_cache: bool) -> None:
    """Kamal's `build dev`: the working tree as it is, tagged -dirty; says which files differ
    from HEAD."""
    changes = build_workflow.working_tree_changes(ctx.root)
    if changes.uncommitted:
        ctx.printer.step(
            f"Files with uncommitted changes will be in the image: {', '.join(changes.uncommitted)}"
        )
    if changes.untracked:
        ctx.printer.step(f"Untracked files will be in the image: {', '.join(changes.untracked)}")
    archive = build_workflow.pack_working_tree(ctx.root, ctx.config.builder)
    spec = dev_spec(ctx.config, no_cache=no_cache)
    secrets = ctx.secret_values(spec.secrets)
    await deliver_workflow.build(builder, spec, archive, secrets, ctx.printer.host)


@command.command("deliver")
@global_options
@click.option("--no-cache", is_flag=True, help="Build without the build cache.")
def deliver_command(no_cache: bool, **kwargs: Any) -> None:
    """Build the image, then get it onto the servers (registry, or over SSH)."""
    ctx = _load(kwargs)
    hosts = selected_hosts(ctx)
    ctx.run(lambda transport: ship(ctx, transport, hosts, build=True, no_cache=no_cache))
    ctx.printer.summary([], f"Delivered {ctx.config.absolute_image} to {len(hosts)} host(s)")


@command.command("pull")
@global_options
def pull_command(**kwargs: Any) -> None:
    """Get the built image onto the servers without building (registry pull, or over SSH)."""
    ctx = _load(kwargs)
    hosts = selected_hosts(ctx)
    ctx.run(lambda transport: ship(ctx, transport, hosts, build=False))
    ctx.printer.summary([], f"{ctx.config.absolute_image} on {len(hosts)} host(s)")


@command.command("create")
@global_options
def create_command(**kwargs: Any) -> None:
    """Check the builder: reachable, with an engine (dockyard keeps no builder instance)."""
    ctx = _load(kwargs)
    click.echo(_describe(ctx))


@command.command("details")
@global_options
def details_command(**kwargs: Any) -> None:
    """Show the builder, its engine and how images reach the servers."""
    ctx = _load(kwargs)
    click.echo(_describe(ctx))


@command.command("remove")
@global_options
def remove_command(**kwargs: Any) -> None:
    """Nothing to remove: dockyard builds with the builder's engine and keeps no builder."""
    _load(kwargs)
    click.echo("dockyard keeps no builder instance (unlike buildx builders); nothing to remove")


def _describe(ctx: AppContext) -> str:
    async def work(transport: AsyncsshTransport) -> str:
        async with builder_host(ctx, transport) as builder:
            if builder.transport is None or builder.host is None:
                kind = await asyncio.to_thread(build_workflow.local_kind, builder.engine)
                machine = build_workflow.local_machine()
            else:
                kind, machine = await build_workflow.probe_builder(
                    builder.transport, builder.host, builder.engine
                )
            return (
                f"builder: {builder.name} ({kind}, {machine}); arch: "
                f"{', '.join(ctx.config.builder.arch)}; delivery: {ctx.config.dockyard.delivery}"
            )

    return ctx.run(work)
