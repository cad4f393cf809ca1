"""Registry login and logout on the builder (or this machine) and on the servers.

    login(session, builder=True, servers=True)      # `registry login` (-L/-R leave one out)

The password goes on standard input (`--password-stdin`), never on a command line; a refused
login is one line that says to check the credentials.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import registry as commands
from dockyard.engine import Engine
from dockyard.errors import CommandFailed, DeliveryError
from dockyard.plan.targets import app_hosts
from dockyard.redaction import Secret
from dockyard.ssh.asyncssh_transport import AsyncsshTransport
from dockyard.ssh.transport import Transport
from dockyard.workflows.delivery.deliver import BuilderHost, Login, registry_error
from dockyard.workflows.delivery.ship import builder_host, registry_login
from dockyard.workflows.fanout import on_hosts
from dockyard.workflows.session import Session


def login(session: Session, *, builder: bool = True, servers: bool = True) -> None:
    """Log in on the builder and on every selected server (the password on stdin)."""
    credentials = registry_login(session)
    if credentials is None:
        raise no_login(session.config.registry.server)
    hosts, progress = app_hosts(session.config, session.selection), session.progress
    registry = credentials[0]

    async def work(transport: AsyncsshTransport) -> None:
        if builder:
            async with builder_host(session, transport) as on:
                await login_builder(on, credentials)
                progress.host(on.name, f"logged in to {registry}")
        if servers:
            await login_servers(transport, hosts, session.config.runtime, credentials)
            progress.step(f"Logged in to {registry} on {len(hosts)} server(s)")

    session.run(work)


def logout(session: Session, *, builder: bool = True, servers: bool = True) -> None:
    """Log out on the builder and on every selected server."""
    registry = session.config.registry.server
    if not registry:
        raise no_login(registry)
    hosts = app_hosts(session.config, session.selection)

    async def work(transport: AsyncsshTransport) -> None:
        if builder:
            async with builder_host(session, transport) as on:
                await logout_builder(on, registry)
        if servers:
            await logout_servers(transport, hosts, session.config.runtime, registry)
        session.progress.step(f"Logged out of {registry}")

    session.run(work)


async def login_builder(builder: BuilderHost, login: Login) -> None:
    server, username, password = login
    try:
        await builder.source().run(
            commands.login(builder.engine, server, username), input=Secret(password + "\n")
        )
    except CommandFailed as failed:
        raise registry_error(builder.name, failed) from None


async def logout_builder(builder: BuilderHost, server: str) -> None:
    await builder.source().run(commands.logout(builder.engine, server))


async def login_servers(
    transport: Transport, hosts: Sequence[str], engine: Engine, login: Login
) -> None:
    server, username, password = login

    async def one(host: str) -> None:
        try:
            await transport.run(
                host, commands.login(engine, server, username), input=Secret(password + "\n")
            )
        except CommandFailed as failed:
            raise registry_error(host, failed) from None

    await on_hosts(hosts, one)


async def logout_servers(
    transport: Transport, hosts: Sequence[str], engine: Engine, server: str
) -> None:
    await on_hosts(hosts, lambda host: transport.run(host, commands.logout(engine, server)))


def no_login(server: str | None) -> DeliveryError:
    return DeliveryError(
        f"there is nothing to log in to: registry {server or '(none)'} has no username and "
        "password in the config (a localhost:PORT registry and delivery: ssh need none)"
    )
