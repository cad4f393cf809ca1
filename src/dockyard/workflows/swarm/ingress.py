"""The swarm's ingress: dockyard's Caddy edge (the load balancer's, workflows/balancer/edge.py)
on each edge host, attached to the app's overlay network, passing each request to a task of
the role's service as `tasks.<stack>_<role>` resolves (looked up every second; a failed dial
is tried on another task). No routing mesh, no virtual IP: this works on kernels without IPVS.

    sites = edge_sites(config)                            # before anything changes
    booted = await boot_edges(transport, config, sites)   # {edge host: True when it changed}
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands.edge import EdgeContainer
from dockyard.commands.edge_config import EdgeSite
from dockyard.config.objects import Config
from dockyard.plan.balancer import edge_settings
from dockyard.plan.swarm import edge_hosts
from dockyard.ssh.transport import Transport
from dockyard.workflows.balancer.edge import EdgeController
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server

BOOT_AGAIN = "the services run the new version; run the deploy again to start the edge"


async def boot_edges(
    transport: Transport, config: Config, sites: Sequence[EdgeSite]
) -> dict[str, bool]:
    """Each edge runs the config the deploy config gives (started, or a new one loaded; an
    edge already right costs one trip)."""
    if not sites:
        return {}
    settings = edge_settings(config)
    container = EdgeContainer(
        config.dockyard.proxy_image, settings.http_port, settings.https_port,
        network=config.swarm_network,
    )  # fmt: skip

    async def boot(server: Server) -> bool:
        with server.step(f"booting the edge on {config.swarm_network}", BOOT_AGAIN):
            return await EdgeController(server, sites, settings).boot(container)

    servers = [Server(transport, host, config.runtime) for host in edge_hosts(config)]
    return await on_servers(servers, boot)
