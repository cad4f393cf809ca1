"""The lab's network: a switch netns with a bridge, a gateway veth, a netns per host, a guard.

The bridge lives in its own netns so the root namespace's firewall never sees host-to-host
traffic; the root side only holds the gateway veth (.1, where the registry listens).
No namespace gets a default route, and the nft guard drops any forwarding through the gateway.
"""

from __future__ import annotations

from dockyard.errors import LabError
from dockyard.lab import files
from dockyard.lab import spec as specs
from dockyard.lab.spec import Host, LabSpec
from dockyard.lab.system import link_exists, netns_list, run

BRIDGE = "br0"
SWITCH_UPLINK = "gw"


def create_switch(spec: LabSpec) -> None:
    sw = specs.switch_netns(spec.name)
    gw = specs.gateway_veth(spec.name)
    made = run(["ip", "netns", "add", sw], check=False)
    if made.returncode != 0:
        why = (made.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(
            f"`ip netns add {sw}` failed ({why}): the lab needs network namespaces "
            "(root on a Linux host or VM that allows them, not an unprivileged container)"
        )
    run(["ip", "-n", sw, "link", "set", "lo", "up"])
    run(["ip", "-n", sw, "link", "add", BRIDGE, "type", "bridge"])
    run(["ip", "-n", sw, "link", "set", BRIDGE, "up"])
    run(["ip", "link", "add", gw, "type", "veth", "peer", "name", SWITCH_UPLINK, "netns", sw])
    run(["ip", "-n", sw, "link", "set", SWITCH_UPLINK, "master", BRIDGE, "up"])
    address = f"{specs.gateway_ip(spec.subnet)}/{specs.prefixlen(spec.subnet)}"
    run(["ip", "addr", "add", address, "dev", gw])
    run(["ip", "link", "set", gw, "up"])
    ruleset = files.nft_guard(gw, specs.nft_table(spec.name))
    run(["nft", "-f", "-"], input=ruleset)


def create_host_netns(spec: LabSpec, host: Host) -> None:
    sw = specs.switch_netns(spec.name)
    ns = specs.netns(spec.name, host.name)
    port = specs.switch_port(host.name)
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
    run(["ip", "-n", sw, "link", "set", port, "master", BRIDGE, "up"])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    address = f"{host.ip}/{specs.prefixlen(spec.subnet)}"
    run(["ip", "-n", ns, "addr", "add", address, "dev", "eth0"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])  # deliberately no default route


def lab_netns(name: str) -> list[str]:
    prefix = specs.netns_prefix(name)
    return [ns for ns in netns_list() if ns.startswith(prefix)]


def nft_table_exists(name: str) -> bool:
    table = specs.nft_table(name)
    return run(["nft", "list", "table", "inet", table], check=False).returncode == 0


def remove_network(name: str) -> None:
    """Delete every netns with the lab's prefix, the gateway veth and the guard; idempotent."""
    for ns in lab_netns(name):
        run(["ip", "netns", "del", ns], check=False)
    gw = specs.gateway_veth(name)
    if link_exists(gw):  # normally gone with its peer in the switch netns
        run(["ip", "link", "del", gw], check=False)
    if nft_table_exists(name):
        run(["nft", "delete", "table", "inet", specs.nft_table(name)], check=False)
