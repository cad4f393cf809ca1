"""Build the image and get it onto the servers, as `deploy` and `build …` run it.

    await ship(session, transport, hosts, build=True, no_cache=False)   # deploy's first step
    push(session)                      # `build push`: build, then push to the registry
    describe(session)                  # `build details`: the builder, its engine, the delivery

builds the image (on builder.remote over SSH, or with this machine's engine), then gets it onto
`hosts`: straight over SSH, only the layers each lacks (`x-dockyard.delivery: ssh`), or through
the registry (push from the builder, pull on every server).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from dockyard.config.model import Credential, Role
from dockyard.config.objects import Config
from dockyard.plan.build import build_spec, dev_spec, dev_tags, parse_remote
from dockyard.plan.targets import app_hosts
from dockyard.redaction import Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.workflows.delivery import build as build_workflow
from dockyard.workflows.delivery import deliver as delivery
from dockyard.workflows.delivery.deliver import BuilderHost, Login, Shipment
from dockyard.workflows.session import Session


def registry_login(session: Session) -> Login | None:
    """(server, username, password) for `docker login`, or None (no auth)."""
    registry = session.config.registry
    if not registry.server or registry.local or not (registry.username and registry.password):
        return None
    username = _credential(session, registry.username)
    return (registry.server, str(username), Secret(_credential(session, registry.password)))


def _credential(session: Session, credential: Credential) -> str:
    if credential.secret:
        return session.secrets.get(credential.secret)
    return credential.literal or ""


def shipment(session: Session) -> Shipment:
    config = session.config
    return Shipment(
        tags=(config.absolute_image, config.latest_image),
        service=config.service,
        engine=config.runtime,
        by_ssh=config.dockyard.delivery == "ssh",
        local_registry_port=(config.registry.local_port or 5000) if config.registry.local else None,
        login=registry_login(session),
    )


@contextlib.asynccontextmanager
async def builder_host(
    session: Session, transport: AsyncsshTransport
) -> AsyncIterator[BuilderHost]:
    """The builder: builder.remote over SSH (its own connection when its user or port differ
    from the servers'), else this machine."""
    engine = session.config.runtime
    if not session.config.builder.remote:
        yield BuilderHost(None, None, engine)
        return
    remote = parse_remote(session.config.builder.remote)
    options = transport.options
    user, port = remote.user or options.user, remote.port or options.port
    if (user, port) == (options.user, options.port):
        yield BuilderHost(transport, remote.host, engine)
        return
    async with AsyncsshTransport(replace(options, user=user, port=port)) as own:
        yield BuilderHost(own, remote.host, engine)


async def build_image(session: Session, builder: BuilderHost, *, no_cache: bool) -> None:
    """The app image from a clean copy of the git HEAD (or builder.context)."""
    config, progress = session.config, session.progress
    if config.builder.git_clone and build_workflow.uncommitted_changes(session.root):
        progress.step(
            "Uncommitted changes are not in the image: dockyard builds a clean copy of the git "
            "HEAD (commit them, or set builder.context: . to build the working tree)"
        )
    archive = build_workflow.pack_context(session.root, config.builder)
    spec = build_spec(config, no_cache=no_cache)
    secrets = session.secret_values(spec.secrets)
    await delivery.build(builder, spec, archive, secrets, progress.host)


async def build_dev(session: Session, builder: BuilderHost, *, no_cache: bool) -> None:
    """Kamal's `build dev`: the working tree as it is, tagged -dirty; says which files differ
    from HEAD."""
    progress = session.progress
    changes = build_workflow.working_tree_changes(session.root)
    if changes.uncommitted:
        progress.step(
            f"Files with uncommitted changes will be in the image: {', '.join(changes.uncommitted)}"
        )
    if changes.untracked:
        progress.step(f"Untracked files will be in the image: {', '.join(changes.untracked)}")
    archive = build_workflow.pack_working_tree(session.root, session.config.builder)
    spec = dev_spec(session.config, no_cache=no_cache)
    secrets = session.secret_values(spec.secrets)
    await delivery.build(builder, spec, archive, secrets, progress.host)


async def ship(
    session: Session,
    transport: AsyncsshTransport,
    hosts: Sequence[str],
    *,
    build: bool,
    no_cache: bool = False,
) -> None:
    """deploy's first step: build (unless -P), then deliver; -P with a registry only pulls."""
    what, step, report = shipment(session), session.progress.step, session.progress.host
    if not build and not what.by_ssh and what.local_registry_port is None:
        await delivery.pull_everywhere(transport, hosts, what, step)
    else:
        async with builder_host(session, transport) as builder:
            if build:
                await build_image(session, builder, no_cache=no_cache)
            await delivery.deliver_image(transport, builder, hosts, what, report, step, push=build)
    selected = [r for r in session.config.roles if session.selection.role_ok(r.name)]
    for image, its_hosts in role_images(session.config, selected, hosts).items():
        await delivery.pull_everywhere(transport, its_hosts, replace(what, tags=(image,)), step)


def role_images(
    config: Config, roles: Sequence[Role], hosts: Sequence[str]
) -> dict[str, list[str]]:
    """Each role's own image (x-dockyard/images), and the hosts among `hosts` that run it:
    it is pulled from the registry there (config/checks_names.py: delivery is by registry)."""
    found: dict[str, set[str]] = {}
    for role in roles:
        if role.name in config.dockyard.role_images:
            found.setdefault(config.role_image(role.name), set()).update(role.host_names)
    pulls = {image: [h for h in hosts if h in on] for image, on in found.items()}
    return {image: its_hosts for image, its_hosts in pulls.items() if its_hosts}


# --- `build …` ------------------------------------------------------------------------------------


def push(session: Session, *, no_cache: bool = False) -> None:
    """Build the image; push it to the registry (with delivery: ssh it stays on the builder)."""

    async def work(transport: AsyncsshTransport) -> None:
        async with builder_host(session, transport) as builder:
            await build_image(session, builder, no_cache=no_cache)
            what = shipment(session)
            if not what.by_ssh:  # a push is a delivery to no server
                report, step = session.progress.host, session.progress.step
                await delivery.deliver_image(transport, builder, [], what, report, step)

    session.run(work)


def dev(session: Session, *, to_registry: bool, no_cache: bool = False) -> tuple[str, str]:
    """Kamal's `build dev`: the working tree as <image>:<version>-dirty, kept in the builder's
    image store, or pushed too; returns the tags."""
    tags = dev_tags(session.config)

    async def work(transport: AsyncsshTransport) -> None:
        async with builder_host(session, transport) as builder:
            await build_dev(session, builder, no_cache=no_cache)
            if to_registry:
                login, report = registry_login(session), session.progress.host
                await delivery.push_to_registry(builder, tags, login, report)

    session.run(work)
    return tags


def deliver(session: Session, *, no_cache: bool = False) -> list[str]:
    """Build the image, then get it onto the selected hosts; returns them."""
    hosts = app_hosts(session.config, session.selection)
    session.run(lambda transport: ship(session, transport, hosts, build=True, no_cache=no_cache))
    return hosts


def pull(session: Session) -> list[str]:
    """Get the built image onto the selected hosts without building; returns them."""
    hosts = app_hosts(session.config, session.selection)
    session.run(lambda transport: ship(session, transport, hosts, build=False))
    return hosts


@dataclass(frozen=True)
class Builder:
    name: str  # its host, or "local"
    kind: str  # what builds: buildx, or the engine itself (docker, podman)
    machine: str  # its architecture (x86_64, aarch64...)


def describe(session: Session) -> Builder:
    """The builder, reached and probed: the engine it builds with and its machine."""

    async def work(transport: AsyncsshTransport) -> Builder:
        async with builder_host(session, transport) as builder:
            if builder.transport is None or builder.host is None:
                kind = await asyncio.to_thread(build_workflow.local_kind, builder.engine)
                machine = build_workflow.local_machine()
            else:
                kind, machine = await build_workflow.probe_builder(
                    builder.transport, builder.host, builder.engine
                )
            return Builder(builder.name, kind, machine)

    return session.run(work)
