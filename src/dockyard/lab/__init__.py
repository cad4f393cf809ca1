"""The lab: N local servers (network namespaces with their own sshd and engine), a builder, a
registry, for end-to-end tests, benchmarks and the demo. Linux and root only.

    from dockyard import lab
    info = lab.up(lab.LabSpec(name="tdock", subnet="10.201.0.0/24", servers=3))
    ...  info.hosts, info.ssh_config, info.known_hosts, info.key, info.registry, info.images
    lab.reboot("tdock", "s1", off_for=20)   # power off, wait, start again (@reboot lines run)
    lab.down("tdock")
"""

from dockyard.lab.down import down
from dockyard.lab.info import HostInfo, LabInfo
from dockyard.lab.reboot import reboot
from dockyard.lab.spec import LabSpec
from dockyard.lab.status import status
from dockyard.lab.up import up

__all__ = ["HostInfo", "LabInfo", "LabSpec", "down", "reboot", "status", "up"]
