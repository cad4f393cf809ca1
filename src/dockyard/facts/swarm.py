"""What `docker info --format '{{json .Swarm}}'` and `docker node ls` say (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.errors import DockyardError


@dataclass(frozen=True)
class SwarmState:
    """One node's view: LocalNodeState is inactive, pending, active, error or locked."""

    state: str
    node_id: str = ""
    address: str = ""  # the address other nodes reach it at (NodeAddr)
    manager: bool = False  # ControlAvailable
    cluster: str = ""  # the swarm's ID (known to managers only)
    managers: tuple[str, ...] = ()  # addresses of the managers it knows (RemoteManagers)
    # the kernel runs IPVS: Swarm's routing mesh and VIPs work there (None: not looked at;
    # dockyard never relies on them: its edges resolve tasks.<service> on the overlay)
    ipvs: bool | None = None

    @property
    def active(self) -> bool:
        return self.state == "active"


def parse_swarm_state(host: str, stdout: str) -> SwarmState:
    try:
        raw: Any = json.loads(stdout)
        remote = raw.get("RemoteManagers") or []
        cluster = raw.get("Cluster") or {}
        return SwarmState(
            state=str(raw["LocalNodeState"]),
            node_id=str(raw.get("NodeID") or ""),
            address=str(raw.get("NodeAddr") or ""),
            manager=bool(raw.get("ControlAvailable")),
            cluster=str(cluster.get("ID") or ""),
            managers=tuple(str(m["Addr"]).rsplit(":", 1)[0] for m in remote),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise DockyardError(
            f"{host}: docker info did not say its swarm state ({error!r}); is Docker 20.10 or "
            "later running there?"
        ) from None


def parse_ipvs(stdout: str, mark: str) -> bool | None:
    """What ipvs_probe printed: True (`<mark>yes`), False (`<mark>no`), None (neither)."""
    for line in stdout.splitlines():
        if line.startswith(mark):
            return {"yes": True, "no": False}.get(line.removeprefix(mark).strip())
    return None


@dataclass(frozen=True)
class Node:
    hostname: str
    status: str  # Ready, Down
    availability: str  # Active, Pause, Drain
    manager_status: str  # Leader, Reachable, Unreachable, or "" for a worker


def _json_lines(stdout: str) -> list[dict[str, Any]]:
    """The objects of a `--format '{{json .}}'` listing, one a line (blank lines skipped)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def parse_nodes(stdout: str) -> tuple[Node, ...]:
    return tuple(
        Node(
            hostname=str(raw.get("Hostname", "")),
            status=str(raw.get("Status", "")),
            availability=str(raw.get("Availability", "")),
            manager_status=str(raw.get("ManagerStatus", "")),
        )
        for raw in _json_lines(stdout)
    )


@dataclass(frozen=True)
class ImageCommand:
    """What an image runs (`docker image inspect`: Config.Entrypoint, Config.Cmd)."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


def parse_image_command(host: str, stdout: str) -> ImageCommand:
    """Two JSON lines: the entrypoint, then the command (each null, or a list of strings)."""
    try:
        entrypoint, cmd = (json.loads(line) or [] for line in stdout.strip().splitlines())
        return ImageCommand(tuple(map(str, entrypoint)), tuple(map(str, cmd)))
    except ValueError as error:
        raise DockyardError(f"{host}: docker image inspect said {stdout!r} ({error})") from None


@dataclass(frozen=True)
class UpdateStatus:
    """A service's last update: State is updating, paused, completed, rollback_started,
    rollback_paused or rollback_completed."""

    state: str
    started: str
    message: str = ""

    @property
    def over(self) -> bool:
        return self.state in ("completed", "paused", "rollback_paused", "rollback_completed")


def parse_update_status(stdout: str) -> UpdateStatus | None:
    raw = json.loads(stdout or "null")
    if not raw:
        return None
    return UpdateStatus(
        str(raw.get("State", "")), str(raw.get("StartedAt", "")), str(raw.get("Message", ""))
    )


def parse_replicas(stdout: str) -> dict[str, tuple[int, int]]:
    """{service: (running, desired)} from `<name> <running>/<desired>` lines."""
    found = {}
    for line in stdout.splitlines():
        name, _, replicas = line.strip().partition(" ")
        running, _, desired = replicas.split(" ")[0].partition("/")
        if running.isdigit() and desired.isdigit():
            found[name] = (int(running), int(desired))
    return found


def parse_versions(stdout: str) -> tuple[str, ...]:
    """The versions deployed to the swarm, oldest first (one a line)."""
    return tuple(line.strip() for line in stdout.splitlines() if line.strip())


@dataclass(frozen=True)
class Task:
    """A task of a stack, as `docker stack ps --format '{{json .}}'` lists it."""

    name: str  # <stack>_<role>.<slot>
    image: str
    node: str
    state: str  # CurrentState: `Running 2 minutes ago`, `Starting 1 second ago`...
    error: str = ""


def parse_tasks(stdout: str) -> tuple[Task, ...]:
    return tuple(
        Task(
            name=str(raw.get("Name", "")),
            image=str(raw.get("Image", "")),
            node=str(raw.get("Node", "")),
            state=str(raw.get("CurrentState", "")),
            error=str(raw.get("Error", "")),
        )
        for raw in _json_lines(stdout)
    )


def running_container(lines: str, hosts: Mapping[str, str]) -> tuple[str, str] | None:
    """(host, container ID) of the first task that runs on a node of `hosts` (node ID ->
    host), from `<node ID> <container ID> <state>` lines; None when none does."""
    for line in lines.splitlines():
        words = line.split()
        if len(words) == 3 and words[2] == "running" and words[0] in hosts:
            return hosts[words[0]], words[1]
    return None


def replaced(lines: str, before: frozenset[str]) -> bool:
    """Whether a service's tasks were all replaced and run, from `<node ID> <container ID>
    <state>` lines of the tasks it wants running (`before`: the containers it ran before): at
    least one task, each running in a container not in `before`."""
    tasks = [line.split() for line in lines.splitlines() if line.strip()]
    return bool(tasks) and all(
        len(words) == 3 and words[2] == "running" and words[1] not in before for words in tasks
    )


def task_containers(lines: str) -> frozenset[str]:
    """The containers of the tasks in `<node ID> <container ID> <state>` lines."""
    return frozenset(words[1] for line in lines.splitlines() if len(words := line.split()) == 3)
