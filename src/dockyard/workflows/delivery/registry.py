"""Registry login and logout on the builder (or this machine) and on the servers.

The password goes on standard input (`--password-stdin`), never on a command line; a refused
login is one line that says to check the credentials.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import registry as commands
from dockyard.engine import Engine
from dockyard.errors import CommandFailed, DeliveryError
from dockyard.redaction import Secret
from dockyard.ssh.transport import Transport
from dockyard.workflows.delivery.deliver import BuilderHost, Login, registry_error
from dockyard.workflows.fanout import on_hosts


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
