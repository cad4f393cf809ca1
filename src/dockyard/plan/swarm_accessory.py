"""An accessory as a Swarm service (pure): one task pinned to its host's node, stop-first (one
task holds its data), its files, directories and volumes mounted from that host, its env a
Swarm secret as the roles' is, on the app's overlay network under its Kamal name
(`<service>-<accessory>`), so that the app and the backup container reach it as they do over
SSH. Each accessory is a stack of its own, named like its container over SSH: `deploy` (whose
`--prune` applies the app's stack) never touches it, and `accessory remove` removes it alone.

    stack = accessory_stack(config, accessory, secrets, image, AccessoryNode(node_id, home))
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace

from dockyard.commands.accessory import directory_host_path, file_host_path
from dockyard.commands.base import HomePath
from dockyard.commands.swarm_stack import ServiceSpec, StackSpec, env_script
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.errors import ConfigError
from dockyard.facts.swarm import ImageCommand
from dockyard.plan.swarm import SECRET_DIGEST, SwarmStack
from dockyard.redaction import Secret

STOP_GRACE = 10  # seconds the accessory's task gets to stop (docker stop's default)


@dataclass(frozen=True)
class AccessoryNode:
    """Where the accessory runs: its host's node, and that host's home (its paths are there)."""

    node_id: str
    home: str


def on_swarm(config: Config, accessory: Accessory) -> Accessory:
    """The accessory as it runs on the swarm: on the app's overlay network (its backup
    container joins it there). ConfigError for what a pinned Swarm service is not given."""
    key = f"accessories/{accessory.name}"
    if len(accessory.hosts) != 1:
        raise ConfigError(
            f"{accessory.name}: on a swarm an accessory is one service pinned to one host, and "
            f"it has {len(accessory.hosts)}; give it one host, or one accessory a host",
            key=f"{key}/hosts",
        )
    refused = [name for name in ("options", "proxy") if getattr(accessory, name)]
    if refused:
        raise ConfigError(
            f"{accessory.name}: `{refused[0]}` is not given to a Swarm service yet; remove it "
            "with x-dockyard/backend: swarm",
            key=f"{key}/{refused[0]}",
        )
    _ports(accessory)  # refused here, before anything changes
    return replace(accessory, network=config.swarm_network)


def accessory_stack(
    config: Config,
    accessory: Accessory,
    secrets: Mapping[str, str],
    image: ImageCommand,
    node: AccessoryNode,
) -> SwarmStack:
    accessory = on_swarm(config, accessory)
    clear = {**accessory.env.clear, "KAMAL_HOST": accessory.hosts[0]}
    values = {ref.env_name: Secret(secrets[ref.secret_name]) for ref in accessory.env.secrets}
    env = env_script(clear, values)
    digest = hashlib.sha256(env.encode()).hexdigest()[:SECRET_DIGEST]
    stack = accessory.service_name
    cmd = tuple(shlex.split(accessory.cmd)) if accessory.cmd else image.cmd
    service = ServiceSpec(
        role=accessory.name,
        image=accessory.image,
        command=(*image.entrypoint, *cmd),
        replicas=1,
        env_secret=f"{stack}_{accessory.name}_env_{digest}",
        env_file=f"{accessory.name}.env",
        stop_grace_period=STOP_GRACE,
        update_parallelism=1,
        monitor=config.dockyard.swarm.monitor,
        placement=(f"node.id=={node.node_id}",),
        labels={"service": accessory.service_name, **accessory.labels},
        volumes=mounts(accessory, node.home),
        log_driver=config.logging.driver,
        log_options=config.logging.effective_options,
        order="stop-first",
        aliases=(accessory.service_name,),
        ports=_ports(accessory),
    )
    spec = StackSpec(network=config.swarm_network, services=(service,))
    return SwarmStack(name=stack, spec=spec, env_files={service.env_file: env})


def mounts(accessory: Accessory, home: str) -> tuple[str, ...]:
    """Its files, directories and volumes as `docker run --volume` mounts them over SSH, with
    the host's home written out (a stack file is read on the manager, not on the host)."""

    def absolute(path: str | HomePath) -> str:
        return f"{home}/{path}" if isinstance(path, HomePath) else path

    def mount(source: str, target: str, options: str | None) -> str:
        return f"{source}:{target}" + (f":{options}" if options else "")

    files = [
        mount(f"{home}/{file_host_path(accessory, f)}", f.remote, f.options)
        for f in accessory.files
    ]
    directories = [
        mount(absolute(directory_host_path(accessory, d)), d.remote, d.options)
        for d in accessory.directories
    ]
    return (*files, *directories, *accessory.volumes)


def _ports(accessory: Accessory) -> tuple[tuple[int, int], ...]:
    """`port` published on its host (host mode: no routing mesh); an address to bind to is
    refused, as Swarm publishes on every address of the host."""
    published = accessory.published_port
    if published is None:
        return ()
    parts = published.split(":")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ConfigError(
            f"{accessory.name}: a Swarm service publishes a port on every address of its "
            f"host, so `{accessory.port}` cannot be kept; write it HOST_PORT:CONTAINER_PORT, or "
            "remove it (the app reaches the accessory by name on the overlay network)",
            key=f"accessories/{accessory.name}/port",
        )
    return ((int(parts[0]), int(parts[1])),)
