"""The swarm's ingress: dockyard's Caddy edge (the load balancer's, workflows/balancer/) on
each edge host, attached to the app's overlay network, passing each request to a task of the
role's service as `tasks.<stack>_<role>` resolves (looked up every second; a failed dial is
tried on another task). No routing mesh, no virtual IP: this works on kernels without IPVS.
TLS as at the load balancer's edges: a custom certificate from the secrets on every edge, or
one certificate by ACME that the first edge orders and the other serves a copy of.

    edge_sites(config)                                       # refused before anything changes
    booted = await boot_edges(transport, config, secrets)   # {edge host: True when it changed}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from dockyard.config.objects import Config
from dockyard.plan.swarm import edge_hosts, edge_sites
from dockyard.ssh.transport import Transport
from dockyard.workflows.balancer.manage import Edges
from dockyard.workflows.balancer.manage import boot_edges as boot_all

RETRY = "dockyard deploy"  # boots the edges again; the services run the new version meanwhile


def swarm_edges(transport: Transport, config: Config, secrets: Mapping[str, str]) -> Edges:
    """The edges in front of the swarm; `secrets`: those of certificate_secret_names."""
    return Edges.serving(
        config, transport, edge_hosts(config), edge_sites, secrets,
        network=config.swarm_network, retry=RETRY,
    )  # fmt: skip


async def boot_edges(
    transport: Transport,
    config: Config,
    secrets: Mapping[str, str],
    warn: Callable[[str, str], None] = lambda host, line: None,
) -> dict[str, bool]:
    """Each edge runs the config the deploy config gives (started, or a new one loaded; an
    edge already right costs one trip); `warn(edge, line)`: what works less well there (the
    certificate mover without a crontab)."""
    edges = replace(swarm_edges(transport, config, secrets), warn=warn)
    if not edges.sites:
        return {}
    return await boot_all(edges)
