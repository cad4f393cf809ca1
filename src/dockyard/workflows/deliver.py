"""Build the image where the config says, then get it onto the servers.

    builder = BuilderHost(transport, "10.0.0.10", "docker")     # or BuilderHost(None, None, ...)
    await build(builder, spec, archive, secrets, report)
    await deliver_by_ssh(servers_transport, builder, hosts, engine, tags, service, report)
    await push_to_registry(builder, images, login, report)      # then the servers pull

Registry-free delivery (`x-dockyard.delivery: ssh`) sends the servers only the layers they lack
(workflows/transfer.py); the registry path pushes from the builder and pulls on every server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands import build as build_commands
from dockyard.commands import registry as registry_commands
from dockyard.commands.base import Secret, all_of
from dockyard.errors import CommandFailed, DeliveryError
from dockyard.workflows import build as build_workflow
from dockyard.workflows.transfer import TransferReport, transfer_image
from dockyard.workflows.transfer_source import (
    FileTransport,
    HostSource,
    ImageSource,
    LocalSource,
)

Report = Callable[[str, str], None]
Login = tuple[str, str, Secret]  # server, username, password


@dataclass(frozen=True)
class BuilderHost:
    """Where images are built and kept: a host over SSH, or (host None) this machine."""

    transport: FileTransport | None
    host: str | None
    engine: str  # docker | podman

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
    if builder.transport is None or builder.host is None:
        await build_workflow.build_locally(builder.engine, spec, archive, secrets)
    else:
        await build_workflow.build_on_host(
            builder.transport, builder.host, builder.engine, spec, archive, secrets
        )
    report(builder.name, f"built {spec.tags[0]}")


async def deliver_by_ssh(
    transport: FileTransport,
    builder: BuilderHost,
    hosts: Sequence[str],
    engine: str,
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
        await builder.source().run(command, input=password)
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
