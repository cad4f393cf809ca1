"""Getting the app image onto every server from its registry."""

from __future__ import annotations

from dockyard.commands import registry as registry_commands
from dockyard.commands.base import all_of
from dockyard.engine import Engine
from dockyard.errors import DockyardError
from dockyard.redaction import Secret
from dockyard.ssh.transport import UNBOUNDED, Transport


async def pull_on_host(
    transport: Transport,
    host: str,
    engine: Engine,
    image: str,
    service: str,
    login: tuple[str, str, Secret] | None,
) -> None:
    """Log in (password on stdin), pull and check the service label, in one round trip."""
    pull = registry_commands.pull_checked(engine, image)
    if login is None:
        result = await transport.run(host, pull, timeout=UNBOUNDED)
    else:
        server, username, password = login
        command = all_of(registry_commands.login(engine, server, username), pull)
        result = await transport.run(host, command, input=password + "\n", timeout=UNBOUNDED)
    label = next(
        (
            line[len("service=") :]
            for line in result.stdout.splitlines()
            if line.startswith("service=")
        ),
        "",
    )
    if label != service:
        raise DockyardError(
            f"{host}: image {image} has label service={label or '(none)'}, not {service}; "
            f"build it with `dockyard build` or add `LABEL service={service}` to its Dockerfile"
        )
