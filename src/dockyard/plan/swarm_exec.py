"""`app exec` in a new container on the swarm (pure): a one-off container of the image a role's
service runs, on the app's overlay network (attachable), with the env its tasks get: the root
and role env, KAMAL_VERSION (and KAMAL_DESTINATION), as the stack's env secret holds them
(plan/swarm.py). The clear values go as `--env`, the secrets in a 0600 env file on the node, as
`app exec` writes one over SSH; nothing is printed. The env file is the container's own (named
after it), so the command that runs it removes it when it ends (or, detached, once it started)
without touching another run's.

    run = exec_container(config, role, "registry.lab:5000/shop:v3", secrets, "shop-web-exec-1a")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.commands.app import AppContainer
from dockyard.commands.envfile import env_file
from dockyard.config.model import Role
from dockyard.config.objects import Config
from dockyard.redaction import Secret


@dataclass(frozen=True)
class ExecContainer:
    container: AppContainer
    env_file: Secret  # its content, written to container.env_file first (0600)


def exec_container(
    config: Config, role: Role, image: str, secrets: Mapping[str, str], name: str
) -> ExecContainer:
    env = config.env.merged(role.env)
    version = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else config.version
    clear = {"KAMAL_VERSION": version, **env.clear}
    if config.destination:
        clear = {"KAMAL_DESTINATION": config.destination, **clear}
    values = {ref.env_name: secrets[ref.secret_name] for ref in env.secrets}
    path = f".dockyard/apps/{config.service_and_destination}/env/exec/{name}.env"
    container = AppContainer(
        name=name, image=image, hostname=name, labels={"service": config.service}, env=clear,
        env_file=path, network=config.swarm_network,
    )  # fmt: skip
    return ExecContainer(container, Secret(env_file(values)))
