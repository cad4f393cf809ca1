"""LabInfo: what a running lab is, as recorded in <lab dir>/lab.json, for the CLI and for tests."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import LabError

LAB_JSON = "lab.json"


@dataclass(frozen=True)
class HostInfo:
    name: str
    ip: str
    role: str  # "server" | "builder"
    engine: str  # "docker" | "podman"
    socket: str  # the engine's API socket, root-namespace path
    netns: str
    pids: dict[str, int] = field(default_factory=dict)  # "init": `ip netns exec` -> unshare


@dataclass(frozen=True)
class LabInfo:
    name: str
    subnet: str
    engine: str
    dir: str
    registry: str  # address from the root namespace, e.g. 10.77.0.1:5000
    registry_host: str  # how lab hosts name it, e.g. registry.lab:5000
    hosts: tuple[HostInfo, ...]
    images: dict[str, str] = field(default_factory=dict)  # "demo:v1" -> reference
    pids: dict[str, int] = field(default_factory=dict)  # "registry": pid

    @property
    def ssh_config(self) -> str:
        return f"{self.dir}/ssh_config"

    @property
    def known_hosts(self) -> str:
        return f"{self.dir}/known_hosts"

    @property
    def key(self) -> str:
        return f"{self.dir}/id_ed25519"

    @property
    def servers(self) -> list[HostInfo]:
        return [h for h in self.hosts if h.role == "server"]

    @property
    def builder(self) -> HostInfo:
        return self.host("builder")

    def host(self, name: str) -> HostInfo:
        for host in self.hosts:
            if host.name == name or host.ip == name:
                return host
        known = ", ".join(h.name for h in self.hosts)
        raise LabError(f"lab {self.name} has no host {name!r}; its hosts are {known}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabInfo:
        hosts = tuple(HostInfo(**h) for h in data["hosts"])
        return cls(**{**data, "hosts": hosts})

    @classmethod
    def load(cls, lab_dir: str) -> LabInfo:
        path = Path(lab_dir) / LAB_JSON
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise LabError(
                f"no lab at {lab_dir} ({path} is missing); run: dockyard lab up"
            ) from None
        except (ValueError, TypeError, KeyError) as error:
            raise LabError(
                f"{path} is not a lab description ({error}); run: dockyard lab down"
            ) from None

    def save(self) -> None:
        path = Path(self.dir) / LAB_JSON
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
