"""`dockyard build push|pull|deliver|create|remove|details` and the ship step of `deploy`.

    await ship(ctx, transport, hosts, build=True, no_cache=False)

builds the image (on builder.remote over SSH, or with this machine's engine), then gets it onto
`hosts`: straight over SSH, only the layers each lacks (`x-dockyard.delivery: ssh`), or through
the registry (push from the builder, pull on every server).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from dockyard.cli.app import selected_hosts
from dockyard.cli.context import AppContext
from dockyard.cli.options import GlobalOptions, global_options
from dockyard.commands.base import Secret
from dockyard.config.model import Credential
from dockyard.plan.build import build_spec, parse_remote
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows import build as build_workflow
from dockyard.workflows import deliver as deliver_workflow
from dockyard.workflows import registry as registry_workflow
from dockyard.workflows.deliver import BuilderHost
from dockyard.workflows.fanout import on_hosts
from dockyard.workflows.pull import pull_on_host


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


async def pull_image(ctx: AppContext, transport: AsyncsshTransport, hosts: Sequence[str]) -> None:
    login = registry_login(ctx)
    image, engine, service = ctx.config.absolute_image, ctx.config.runtime, ctx.config.service
    ctx.printer.step(f"Pulling {image} on {len(hosts)} host(s)")
    await on_hosts(hosts, lambda host: pull_on_host(transport, host, engine, image, service, login))


async def deliver(
    ctx: AppContext,
    transport: AsyncsshTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    *,
    push: bool = True,
) -> None:
    """The built image onto `hosts`: over SSH, or pushed from the builder and pulled."""
    config = ctx.config
    tags = (config.absolute_image, config.latest_image)
    if delivers_by_ssh(ctx):
        ctx.printer.step(f"Sending {tags[0]} to {len(hosts)} host(s) over SSH (missing layers)")
        await deliver_workflow.deliver_by_ssh(
            transport, builder, hosts, config.runtime, tags, config.service, ctx.printer.host
        )
    elif config.registry.local:
        await through_local_registry(ctx, transport, builder, hosts, push=push)
    else:
        if push:
            login = registry_login(ctx)
            await deliver_workflow.push_to_registry(builder, tags, login, ctx.printer.host)
        await pull_image(ctx, transport, hosts)


async def through_local_registry(
    ctx: AppContext,
    transport: AsyncsshTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    *,
    push: bool,
) -> None:
    """Kamal 2.8's local registry: on this machine, on loopback; the builder pushes and the
    servers pull through SSH reverse tunnels to it, one after the other (a builder that is
    also a server forwards the port once at a time)."""
    port = ctx.config.registry.local_port or 5000
    tags = (ctx.config.absolute_image, ctx.config.latest_image)
    storage = local_registry_storage(port)
    async with registry_workflow.local_registry(port, storage):
        if push and builder.transport is not None and builder.host is not None:
            async with registry_workflow.tunnels(builder.transport, [builder.host], port):
                await push_to_local(builder, tags, ctx)
        elif push:
            await push_to_local(builder, tags, ctx)
        ctx.printer.step(f"Pulling {tags[0]} on {len(hosts)} host(s) through SSH tunnels")
        async with registry_workflow.tunnels(transport, hosts, port):
            engine, service = ctx.config.runtime, ctx.config.service
            await on_hosts(
                hosts,
                lambda host: registry_workflow.pull_from_local_registry(
                    transport, host, engine, tags[0], service
                ),
            )


async def push_to_local(builder: BuilderHost, tags: Sequence[str], ctx: AppContext) -> None:
    await deliver_workflow.push_to_registry(builder, tags, None, ctx.printer.host, plain_http=True)


def local_registry_storage(port: int) -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "dockyard" / f"registry-{port}"


async def ship(
    ctx: AppContext,
    transport: AsyncsshTransport,
    hosts: Sequence[str],
    *,
    build: bool,
    no_cache: bool = False,
) -> None:
    """deploy's first step: build (unless -P), then deliver; -P with a registry only pulls."""
    if not build and not delivers_by_ssh(ctx) and not ctx.config.registry.local:
        await pull_image(ctx, transport, hosts)
        return
    async with builder_host(ctx, transport) as builder:
        if build:
            await build_image(ctx, builder, no_cache=no_cache)
        await deliver(ctx, transport, builder, hosts, push=build)


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
            if ctx.config.registry.local:
                await through_local_registry(ctx, transport, builder, [], push=True)
            elif not delivers_by_ssh(ctx):
                images = (ctx.config.absolute_image, ctx.config.latest_image)
                login = registry_login(ctx)
                await deliver_workflow.push_to_registry(builder, images, login, ctx.printer.host)

    ctx.run(work)
    ctx.printer.summary([], f"Built {ctx.config.absolute_image}")


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
