"""What a lab is: its name, subnet, engine and hosts, and every name and address derived from them.

Pure: no I/O. Everything here is computed from a LabSpec so that `up`, `down` and `status` agree
on names (network namespaces, veths, nft table, cgroups) without having to remember them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import posixpath
import re
from dataclasses import dataclass
from typing import Literal

from dockyard.errors import LabError

Engine = Literal["docker", "podman"]
Role = Literal["server", "builder"]

DEFAULT_NAME = "dockyard"
DEFAULT_SUBNET = "10.77.0.0/24"
DEFAULT_ROOT = "/var/lib/dockyard-lab"
# registry data shared by every lab on the machine, so each new lab need not build its images
IMAGE_CACHE = f"{DEFAULT_ROOT}/.image-cache"
MAX_SERVERS = 50
BUILDER = "builder"
BUILDER_OCTET = 10  # builder is .10, servers s1..sN are .11 ..
REGISTRY_PORT = 5000
# a test may run its own registry (one with a password, say) beside the lab's, on this port of the
# gateway: the hosts trust it over plain HTTP as they trust the lab's
SPARE_REGISTRY_PORT = 5001
REGISTRY_HOST = "registry.lab"
# Each lab host mounts its own copy over these, so the lab dir must not lie under any of them.
HOST_PRIVATE_DIRS = (
    "/run", "/var/run", "/tmp", "/root", "/home", "/var/lib/docker", "/etc/docker",
    "/var/lib/containers", "/etc/containers", "/var/lib/dockyard",
)  # fmt: skip
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_TAG_MAX = 8  # "dy" + tag + "gw" must fit the kernel's 15-character interface names


@dataclass(frozen=True)
class Host:
    name: str
    ip: str
    role: Role
    engine: Engine


@dataclass(frozen=True)
class LabSpec:
    name: str = DEFAULT_NAME
    subnet: str = DEFAULT_SUBNET
    servers: int = 3
    engine: Engine = "docker"
    dir: str = ""  # empty: DEFAULT_ROOT/<name>

    @property
    def lab_dir(self) -> str:
        return self.dir or f"{DEFAULT_ROOT}/{self.name}"


def validate(spec: LabSpec) -> None:
    """Raise LabError (one line, what to do) for a spec that cannot be brought up."""
    validate_name(spec.name)
    if spec.engine not in ("docker", "podman"):
        raise LabError(f"engine {spec.engine!r} is not supported; use --engine docker or podman")
    if not 1 <= spec.servers <= MAX_SERVERS:
        raise LabError(f"--servers {spec.servers}: choose between 1 and {MAX_SERVERS}")
    network(spec.subnet)
    validate_dir(spec.lab_dir)


def validate_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise LabError(
            f"lab name {name!r} is not valid; use 1-32 of a-z, 0-9 and '-', starting with a letter"
        )


def network(subnet: str) -> ipaddress.IPv4Network:
    """The lab's subnet, checked: private IPv4, room for the gateway, builder and servers."""
    try:
        net = ipaddress.ip_network(subnet, strict=True)
    except ValueError as error:
        raise LabError(
            f"--subnet {subnet!r} is not a network ({error}); e.g. 10.77.0.0/24"
        ) from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise LabError(f"--subnet {subnet}: the lab needs an IPv4 network, e.g. 10.77.0.0/24")
    if not net.is_private or net.is_loopback or net.is_link_local:
        raise LabError(f"--subnet {subnet} is not a private range; use one in 10.0.0.0/8")
    if net.prefixlen > 24:
        raise LabError(f"--subnet {subnet} is too small; use a /24 or larger, e.g. 10.77.0.0/24")
    return net


def validate_dir(lab_dir: str) -> None:
    if not posixpath.isabs(lab_dir):
        raise LabError(f"lab dir {lab_dir!r} must be an absolute path")
    path = posixpath.normpath(lab_dir)
    for private in HOST_PRIVATE_DIRS:
        if posixpath.commonpath([path, private]) == private:
            raise LabError(
                f"lab dir {lab_dir} is under {private}, which every lab host replaces; "
                f"use --dir under {DEFAULT_ROOT}"
            )


def tag(name: str) -> str:
    """A short, stable form of the lab name for kernel object names (<= 8 chars, [a-z0-9])."""
    plain = name.replace("-", "")
    if plain == name and len(name) <= _TAG_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()
    return plain[:3] + digest[: _TAG_MAX - 3]


def netns_prefix(name: str) -> str:
    return f"dy-{tag(name)}-"


def netns(name: str, host: str) -> str:
    return f"{netns_prefix(name)}{host}"


def switch_netns(name: str) -> str:
    return netns(name, "sw")


def gateway_veth(name: str) -> str:
    """The root-namespace end of the link to the lab's switch (<= 15 chars)."""
    return f"dy{tag(name)}gw"


def switch_port(host: str) -> str:
    """A host's veth end inside the switch netns (one switch per lab, so no lab name needed)."""
    return f"v-{host}"[:15]


def nft_table(name: str) -> str:
    return f"dy_{tag(name)}_guard"


def cgroup_parent(name: str, host: str) -> str:
    return f"dy-{tag(name)}-{host}"


def hosts(spec: LabSpec) -> list[Host]:
    """The builder first, then s1..sN, each with its address in the subnet."""
    net = network(spec.subnet)
    base = int(net.network_address)
    found = [Host(BUILDER, str(ipaddress.IPv4Address(base + BUILDER_OCTET)), "builder", "docker")]
    for i in range(1, spec.servers + 1):
        ip = ipaddress.IPv4Address(base + BUILDER_OCTET + i)
        found.append(Host(f"s{i}", str(ip), "server", spec.engine))
    return found


def gateway_ip(subnet: str) -> str:
    return str(ipaddress.IPv4Address(int(network(subnet).network_address) + 1))


def prefixlen(subnet: str) -> int:
    return network(subnet).prefixlen


def registry_address(subnet: str) -> str:
    return f"{gateway_ip(subnet)}:{REGISTRY_PORT}"


def engine_socket(lab_dir: str, host: Host) -> str:
    """The engine's API socket as seen from the root namespace."""
    sock = "podman.sock" if host.engine == "podman" else "docker.sock"
    return f"{lab_dir}/{host.name}/{sock}"
