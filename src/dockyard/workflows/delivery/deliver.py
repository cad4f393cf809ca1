"""Build the image where the config says, then get it onto the servers.

    builder = BuilderHost(transport, "10.0.0.10", DOCKER)     # or BuilderHost(None, None, ...)
    await build(builder, spec, archive, secrets, report)
    await deliver_image(transport, builder, hosts, shipment, report, step)   # the right way

Registry-free delivery (`x-dockyard.delivery: ssh`) sends the servers only the layers they lack
(workflows/transfer.py); the registry path pushes from the builder and pulls on every server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.commands import build as build_commands
from dockyard.commands import registry as registry_commands
from dockyard.commands.base import all_of
from dockyard.engine import Engine
from dockyard.errors import CommandFailed, DeliveryError
from dockyard.redaction import Secret
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.delivery import build as build_workflow
from dockyard.workflows.delivery import local_registry
from dockyard.workflows.delivery.pull import pull_on_host
from dockyard.workflows.delivery.transfer import TransferReport, transfer_image
from dockyard.workflows.delivery.transfer_source import (
    FileTransport,
    HostSource,
    ImageSource,
    LocalSource,
)
from dockyard.workflows.fanout import on_hosts

Report = Callable[[str, str], None]  # (host, message)
Step = Callable[[str], None]  # a step's title
Login = tuple[str, str, Secret]  # server, username, password


@dataclass(frozen=True)
class BuilderHost:
    """Where images are built and kept: a host over SSH, or (host None) this machine."""

    transport: FileTransport | None
    host: str | None
    engine: Engine  # docker | podman

    @property
    def name(self) -> str:
        return self.host or "local"

    def source(self) -> ImageSource:
        if self.transport is None or self.host is None:
            return LocalSource()
        return HostSource(self.transport, self.host)


async def build(
    builder: BuilderHost,
    spec: build_commands.BuildSpec,
    archive: bytes,
    secrets: Mapping[str, Secret],
    report: Report,
) -> None:
    report(builder.name, f"building {spec.tags[0]} ({', '.join(spec.arches)})")

    def warn(line: str) -> None:
        report(builder.name, f"WARNING: {line}")

    if builder.transport is None or builder.host is None:
        await build_workflow.build_locally(builder.engine, spec, archive, secrets, warn)
    else:
        await build_workflow.build_on_host(
            builder.transport, builder.host, builder.engine, spec, archive, secrets, warn
        )
    report(builder.name, f"built {spec.tags[0]}")


async def deliver_by_ssh(
    transport: FileTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    engine: Engine,
    tags: Sequence[str],
    service: str,
    report: Report,
) -> TransferReport:
    return await transfer_image(
        transport,
        builder.source(),
        hosts,
        source_engine=builder.engine,
        engine=engine,
        image=tags[0],
        tags=tags,
        service=service,
        report=report,
    )


async def push_to_registry(
    builder: BuilderHost,
    images: Sequence[str],
    login: Login | None,
    report: Report,
    *,
    plain_http: bool = False,
) -> None:
    """Log in on the builder (password on stdin) and push each tag, in one round trip."""
    pushes = [build_commands.push(builder.engine, i, plain_http=plain_http) for i in images]
    command = all_of(*pushes)
    password: str | None = None
    if login is not None:
        server, username, secret = login
        command = all_of(registry_commands.login(builder.engine, server, username), *pushes)
        password = Secret(secret + "\n")
    try:
        await builder.source().run(command, input=password, timeout=UNBOUNDED)
    except CommandFailed as failed:
        raise registry_error(builder.name, failed) from None
    report(builder.name, f"pushed {', '.join(images)}")


def registry_error(where: str, failed: CommandFailed) -> DeliveryError:
    text = failed.result.stderr.strip()
    lowered = text.lower()
    if "unauthorized" in lowered or "denied" in lowered or "incorrect username" in lowered:
        return DeliveryError(
            f"{where}: the registry refused the login; check registry.username and "
            "registry.password (and the secret they name)"
        )
    last = text.splitlines()[-1] if text else f"exit {failed.result.exit_status}"
    return DeliveryError(f"{where}: the push failed: {last}")


# --- the delivery step of a deploy ----------------------------------------------------------------


@dataclass(frozen=True)
class Shipment:
    """What the delivery needs from the config."""

    tags: tuple[str, ...]  # version first, then latest[-destination]
    service: str
    engine: Engine  # on the servers
    by_ssh: bool  # x-dockyard.delivery: ssh
    local_registry_port: int | None  # registry.server: localhost:PORT
    login: Login | None  # registry credentials, if any


async def deliver_image(
    transport: FileTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    shipment: Shipment,
    report: Report,
    step: Step,
    *,
    push: bool = True,
) -> None:
    """The built image onto `hosts`: over SSH (only missing layers), through a local registry
    and SSH tunnels, or pushed from the builder (unless not `push`) and pulled."""
    if shipment.by_ssh:
        step(f"Sending {shipment.tags[0]} to {len(hosts)} host(s) over SSH (missing layers)")
        await deliver_by_ssh(
            transport, builder, hosts, shipment.engine, shipment.tags, shipment.service, report
        )
    elif shipment.local_registry_port is not None:
        await through_local_registry(transport, builder, hosts, shipment, report, step, push=push)
    else:
        if push:
            await push_to_registry(builder, shipment.tags, shipment.login, report)
        await pull_everywhere(transport, hosts, shipment, step)


async def pull_everywhere(
    transport: FileTransport, hosts: Sequence[str], shipment: Shipment, step: Step
) -> None:
    image, engine, service, login = (
        shipment.tags[0], shipment.engine, shipment.service, shipment.login
    )  # fmt: skip
    if hosts:
        step(f"Pulling {image} on {len(hosts)} host(s)")
    await on_hosts(hosts, lambda host: pull_on_host(transport, host, engine, image, service, login))


async def through_local_registry(
    transport: FileTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    shipment: Shipment,
    report: Report,
    step: Step,
    *,
    push: bool,
) -> None:
    """Kamal 2.8's local registry: on this machine, on loopback; the builder pushes and the
    servers pull through SSH reverse tunnels to it, one after the other (a builder that is
    also a server forwards the port once at a time)."""
    port = shipment.local_registry_port or 5000
    tags = shipment.tags
    async with local_registry.local_registry(port, local_registry_storage(port)):
        if push and builder.transport is not None and builder.host is not None:
            async with local_registry.tunnels(builder.transport, [builder.host], port):
                await push_to_registry(builder, tags, None, report, plain_http=True)
        elif push:
            await push_to_registry(builder, tags, None, report, plain_http=True)
        if hosts:
            step(f"Pulling {tags[0]} on {len(hosts)} host(s) through SSH tunnels")
        async with local_registry.tunnels(transport, hosts, port):
            await on_hosts(
                hosts,
                lambda host: local_registry.pull_from_local_registry(
                    transport, host, shipment.engine, tags[0], shipment.service
                ),
            )


def local_registry_storage(port: int) -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "dockyard" / f"registry-{port}"
